package stackstate

import (
	"sort"
)

// StackState changed its payload twice (openapi/stackstate.yaml, "Tags" and
// "Envelope"): before a6d49db (December 2023) component and monitor tags
// were a map from key to value, and from 39dd970 to a6d49db the channel's
// metadata was the top-level `tags` map. Installations of that time still
// send the old shapes. The methods below give a handler one reading of
// every generation:
//
//   - Tags.Strings returns the list form: a list as sent; a map as
//     "key:value" strings sorted by key (the form a6d49db sends);
//   - ChannelMetadata returns `metadata`, else the older top-level `tags`,
//     else nil.

// Strings returns the tags in the list form of the current generation: a
// list as sent, an older map as "key:value" strings sorted by key. It fails
// only for a value that is neither (which validation refuses).
func (t Tags) Strings() ([]string, error) {
	if l, err := t.AsTagList(); err == nil {
		return l, nil
	}
	m, err := t.AsTagMap()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + ":" + m[k]
	}
	return out, nil
}

// ChannelMetadata returns the channel's metadata: `metadata`, else the
// top-level `tags` of the 39dd970 generation, else nil.
func (e *NotificationOpenedEnvelope) ChannelMetadata() map[string]string {
	return channelMetadata(e.Metadata, e.Tags)
}

// ChannelMetadata returns the channel's metadata: `metadata`, else the
// top-level `tags` of the 39dd970 generation, else nil.
func (e *NotificationClosedEnvelope) ChannelMetadata() map[string]string {
	return channelMetadata(e.Metadata, e.Tags)
}

func channelMetadata(metadata, tags *Metadata) map[string]string {
	switch {
	case metadata != nil:
		return *metadata
	case tags != nil:
		return *tags
	}
	return nil
}

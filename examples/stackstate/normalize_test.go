package stackstate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/internal/e2etest"
	"github.com/hookgen/hookgen/openapi"
)

// TestEveryGenerationReadsTheSame: the handler gets one reading of every
// published payload generation (normalize.go): tags as "key:value" strings
// and the channel's metadata, whichever shape the installation sent.
func TestEveryGenerationReadsTheSame(t *testing.T) {
	for name, want := range map[string]struct {
		componentTags []string
		metadata      map[string]string
	}{
		// a6d49db: tag lists and metadata.
		"hookgen-open-deviating": {[]string{"namespace:sock-shop"}, map[string]string{"env": "prod", "team": "Team A"}},
		// 39dd970: tag maps and the channel map as top-level tags.
		"hookgen-open-39dd970": {[]string{"namespace:sock-shop"}, map[string]string{"team": "Team A"}},
	} {
		t.Run(name, func(t *testing.T) {
			e := e2etest.Start(t, family)
			v := e2etest.Vector(t, family, name)
			require.Equal(t, openapi.VerdictValid, v.Verdict)
			r := e.Send(t, v)
			require.Equal(t, 200, r.Status, "%s", r.Body)
			call, _ := e.Recorder.Last()
			p, ok := call.Payload.(*stackstate.NotificationOpenedEnvelope)
			require.True(t, ok, "%T", call.Payload)
			tags, err := p.Component.Tags.Strings()
			require.NoError(t, err)
			assert.Equal(t, want.componentTags, tags)
			assert.Equal(t, want.metadata, p.ChannelMetadata())
		})
	}
}

// TestTagMapStringsAreSorted: a map of several tags becomes "key:value"
// strings sorted by key.
func TestTagMapStringsAreSorted(t *testing.T) {
	var tags stackstate.Tags
	require.NoError(t, tags.FromTagMap(stackstate.TagMap{"b": "2", "a": "1", "c": "x:y"}))
	got, err := tags.Strings()
	require.NoError(t, err)
	assert.Equal(t, []string{"a:1", "b:2", "c:x:y"}, got)
}

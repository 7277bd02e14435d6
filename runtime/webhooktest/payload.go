package webhooktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// FileSource is a payload read from a file; build it with File.
type FileSource string

// File names a payload file for Validate and Request. A file whose name
// ends in ".query" holds a raw query string (a Butler GET vector); any
// other file holds the JSON document.
func File(path string) FileSource { return FileSource(path) }

// QuerySource is a payload given as a raw query string; build it with Query.
type QuerySource string

// Query gives a payload as the raw query string a GET webhook receives
// (Butler: "event=Qlik+Sense+reload+failed&taskId=…"), with or without a
// leading "?". The kit converts it to the JSON document the spec
// describes, exactly as the receiver does.
func Query(raw string) QuerySource { return QuerySource(raw) }

// payload is a resolved payload: a JSON body or a raw query.
type payload struct {
	body    []byte
	query   string
	isQuery bool
}

// resolve turns what callers pass as a payload into bytes:
//
//   - []byte, json.RawMessage and string: the JSON document as is (a string
//     is never marshalled into a JSON string);
//   - FileSource: the file's content (".query" files are queries);
//   - QuerySource: a raw query string;
//   - nil: no body;
//   - anything else: json.Marshal of the value.
func resolve(p any) (payload, error) {
	switch v := p.(type) {
	case nil:
		return payload{}, nil
	case []byte:
		return payload{body: v}, nil
	case json.RawMessage:
		return payload{body: v}, nil
	case string:
		return payload{body: []byte(v)}, nil
	case FileSource:
		b, err := os.ReadFile(string(v))
		if err != nil {
			return payload{}, fmt.Errorf("webhooktest: payload file: %w", err)
		}
		if strings.HasSuffix(string(v), ".query") {
			return payload{query: strings.TrimSpace(string(b)), isQuery: true}, nil
		}
		return payload{body: b}, nil
	case QuerySource:
		return payload{query: strings.TrimPrefix(strings.TrimSpace(string(v)), "?"), isQuery: true}, nil
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return payload{}, fmt.Errorf("webhooktest: marshal payload %T: %w", p, err)
		}
		return payload{body: b}, nil
	}
}

// NormalizeJSON returns doc re-encoded canonically (object members sorted,
// numbers kept verbatim, insignificant whitespace dropped) with null
// object members removed and RFC 3339 date-times rewritten as the same
// instant in UTC (time.RFC3339Nano), recursively. Use it to compare what a
// typed handler received, re-marshalled, with the vendor's document:
// generated types hold optional nullable fields as pointers with
// omitempty, so a vendor's explicit null and an absent member reach the
// handler alike, and a `format: date-time` field is a time.Time, which
// marshals "+00:00" as "Z".
func NormalizeJSON(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("webhooktest: normalize: %w", err)
	}
	return json.Marshal(dropNulls(v))
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropNulls(e)
		}
	case string:
		if len(x) >= 20 && x[4] == '-' && x[10] == 'T' {
			if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return ts.UTC().Format(time.RFC3339Nano)
			}
		}
	}
	return v
}

package bind_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/bind"
	"github.com/hookgen/hookgen/runtime/schema"
)

func anyDoc(*schema.Checker, string, any) {}

func decodeAs(name string) func(doc any, body []byte, strict bool) (runtime.Event, error) {
	return func(doc any, body []byte, strict bool) (runtime.Event, error) {
		return schema.DecodeDocument[map[string]any](doc, body, strict, name, anyDoc)
	}
}

func lifecycle(t *testing.T) runtime.Webhook {
	t.Helper()
	w, err := bind.Build(bind.Webhook{
		Name: "n",
		Path: "/n",
		Operations: []bind.Operation{{
			Methods:  []string{"POST"},
			Validate: anyDoc,
			Key:      []string{"$request.body#/id", "$request.body#/event/type"},
			Ordering: &bind.Ordering{Entity: "$request.body#/id", Version: "$request.body#/event/at", Event: "$request.body#/event/type", Terminal: []string{"close"}},
			Events: []bind.Event{
				{Name: "Opened", Match: map[string][]string{"$request.body#/event/type": {"open"}}, Decode: decodeAs("Opened")},
				{Name: "Closed", Match: map[string][]string{"$request.body#/event/type": {"close"}}, Decode: decodeAs("Closed")},
			},
		}},
	})
	require.NoError(t, err)
	return w
}

// TestKeyAndOrderReadTheParsedDocument: the body is parsed once, by Decode;
// the idempotency key and the ordering read that document. Replacing the
// body after Decode changes neither.
func TestKeyAndOrderReadTheParsedDocument(t *testing.T) {
	w := lifecycle(t)
	body := []byte(`{"id":"n-1","event":{"type":"close","at":17}}`)
	req := &runtime.Request{Method: "POST", Body: body, Raw: body}
	ev, err := w.Decode(req, true)
	require.NoError(t, err)
	assert.Equal(t, "Closed", ev.Name)
	require.NotNil(t, req.Document)

	other := []byte(`{"id":"n-2","event":{"type":"open","at":99}}`)
	req.Body, req.Raw = other, other
	key, err := w.Key(req, ev)
	require.NoError(t, err)
	assert.Equal(t, "n-1:close", key)
	pos, ok, err := w.Order(req, ev)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, runtime.Position{Entity: "n-1", Version: 17, HasVersion: true, Terminal: true}, pos)
}

// TestDecodeRefusesWhatTheLexerRefuses: a duplicate member or invalid UTF-8
// is refused before any event is selected, with the lexer's rule.
func TestDecodeRefusesWhatTheLexerRefuses(t *testing.T) {
	w := lifecycle(t)
	for body, rule := range map[string]string{
		`{"id":"n-1","event":{"type":"open","type":"close"}}`: schema.RuleDuplicateKey,
		"{\"id\":\"n-\xff\",\"event\":{\"type\":\"open\"}}":   schema.RuleUTF8,
	} {
		req := &runtime.Request{Method: "POST", Body: []byte(body)}
		_, err := w.Decode(req, false)
		var ve *runtime.ValidationError
		require.ErrorAs(t, err, &ve, body)
		assert.Equal(t, rule, ve.Errors[0].Rule, body)
	}
}

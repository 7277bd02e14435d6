package dynamic_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

// TestExampleWarnings: examples that violate their schema in a 3.1
// webhook's request body, a response and a component schema are reported
// with their pointers and the failing fields; the spec still loads, and
// valid examples are not reported.
func TestExampleWarnings(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(spec, []byte(`openapi: 3.1.0
info: {title: t, version: '1'}
webhooks:
  order.paid:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
            example: {id: 7, total: 3}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {ok: {type: boolean}}}
              examples:
                fine: {value: {ok: true}}
                wrong: {value: {ok: "yes"}}
components:
  schemas:
    Order:
      type: object
      required: [id]
      properties:
        id: {type: string}
        total: {type: [number, "null"]}
      example: {total: 1}
`), 0o644))
	var got []dynamic.Warning
	doc, err := dynamic.Load(context.Background(), dynamic.Config{Spec: spec, OnWarning: func(w dynamic.Warning) { got = append(got, w) }})
	require.NoError(t, err)
	require.NotNil(t, doc)
	require.Len(t, got, 3, "%v", got)
	assert.Equal(t, "#/webhooks/order.paid/post/requestBody/content/application~1json/example", got[0].Pointer)
	assert.Contains(t, got[0].Message, "at /id:")
	assert.Equal(t, "#/webhooks/order.paid/post/responses/200/content/application~1json/examples/wrong/value", got[1].Pointer)
	assert.Contains(t, got[1].Message, "at /ok:")
	assert.Equal(t, "#/components/schemas/Order/example", got[2].Pointer)
	assert.Contains(t, got[2].Message, "id")
	assert.Equal(t, got[0].Pointer+": "+got[0].Message, got[0].String())
}

package generator_test

import (
	"context"
	"errors"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// TestRefusedKeywords checks that a schema using a JSON Schema keyword the
// validators do not implement is refused by generate and by the dynamic
// path (serve, validate, send), with the keyword and the JSON pointer of
// the schema that uses it, instead of being ignored.
func TestRefusedKeywords(t *testing.T) {
	body := func(schema string) string {
		return specHead + `webhooks:
  a:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                inner: ` + schema + `
      responses: {"200": {description: ok}}
`
	}
	inline := "#/webhooks/a/post/requestBody/content/application~1json/schema/properties/inner"
	cases := []struct {
		name, spec, keyword, pointer string
	}{
		{"unevaluatedProperties next to a $ref", specHead + `webhooks:
  a:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {inner: {$ref: "#/components/schemas/T", properties: {b: true}, unevaluatedProperties: false}}}}}}
      responses: {"200": {description: ok}}
components:
  schemas:
    T: {properties: {a: true}}
`, "unevaluatedProperties", inline},
		{"unevaluatedItems in a $ref target with siblings", specHead + `webhooks:
  a:
    post:
      requestBody: {content: {application/json: {schema: {type: object, properties: {inner: {$ref: "#/components/schemas/T", prefixItems: [true]}}}}}}
      responses: {"200": {description: ok}}
components:
  schemas:
    T: {unevaluatedItems: false}
`, "unevaluatedItems", inline},
		{"dynamicRef", body(`{items: {$dynamicRef: "#meta"}}`), "$dynamicRef", inline + "/items"},
		{"anchor", body(`{$anchor: here, type: string}`), "$anchor", inline},
		{"id", body(`{$id: "https://example.com/s", type: string}`), "$id", inline},
		{"foreign dialect", body(`{$schema: "http://json-schema.org/draft-07/schema#", type: string}`), "$schema", inline},
		{"const null", body("{const: null}"), "const", "#/webhooks/a/post/requestBody/content/application~1json/schema/properties/inner"},
		{"through a $ref", specHead + `webhooks:
  a:
    post:
      requestBody: {content: {application/json: {schema: {$ref: "#/components/schemas/Outer"}}}}
      responses: {"200": {description: ok}}
components:
  schemas:
    Outer: {type: object, properties: {deep: {$ref: "#/components/schemas/Deep"}}}
    Deep: {type: object, properties: {x: {$dynamicRef: "#node"}}}
`, "$dynamicRef", "#/components/schemas/Deep/properties/x"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeSpec(t, c.spec)
			cfg := generator.Config{Spec: path, Package: "p"}
			_, err := generator.Run(context.Background(), cfg)
			requireRefused(t, err, c.keyword, c.pointer)
			_, err = dynamic.LoadFamily(context.Background(), cfg.Dynamic())
			requireRefused(t, err, c.keyword, c.pointer)
		})
	}
}

// TestRefusedWithoutLoaderValidation covers what the loader's validation
// already refuses in Load (unknown members such as draft-07's
// dependencies, regular expressions RE2 cannot compile): Generate, given a
// document loaded without that validation, still refuses them with the
// keyword and pointer rather than ignoring them or panicking.
func TestRefusedWithoutLoaderValidation(t *testing.T) {
	cases := []struct{ name, schema, keyword string }{
		{"draft-07 dependencies", `{"dependencies": {"a": ["b"]}}`, "dependencies"},
		{"draft 2019-09 additionalItems", `{"prefixItems": [{"type": "string"}], "additionalItems": false}`, "additionalItems"},
		{"$recursiveRef", `{"$recursiveRef": "#"}`, "$recursiveRef"},
		{"$recursiveAnchor", `{"$recursiveAnchor": true}`, "$recursiveAnchor"},
		{"$vocabulary", `{"$vocabulary": {"https://json-schema.org/draft/2020-12/vocab/core": true}}`, "$vocabulary"},
		{"ecma regex", `{"type": "string", "pattern": "^(?!x)"}`, "pattern"},
		{"ecma regex in patternProperties", `{"patternProperties": {"^(?=a)": true}}`, "patternProperties"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec := `{"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "webhooks": {"a": {"post": {
				"requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"inner": ` + c.schema + `}}}}},
				"responses": {"200": {"description": "ok"}}}}}}`
			doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
			require.NoError(t, err)
			_, err = generator.Generate(doc, generator.Config{Spec: "inline.json", Package: "p"})
			requireRefused(t, err, c.keyword, "#/webhooks/a/post/requestBody/content/application~1json/schema/properties/inner")
		})
	}
	// Through Load, the loader's validation names them first.
	spec := writeSpec(t, specHead+`webhooks:
  a:
    post:
      requestBody: {content: {application/json: {schema: {dependencies: {a: [b]}}}}}
      responses: {"200": {description: ok}}
`)
	_, err := generator.Run(context.Background(), generator.Config{Spec: spec, Package: "p"})
	require.ErrorIs(t, err, generator.ErrSpec)
	require.ErrorContains(t, err, "dependencies")
}

func requireRefused(t *testing.T, err error, keyword, pointer string) {
	t.Helper()
	require.Error(t, err)
	assert.True(t, errors.Is(err, generator.ErrSpec), "not an ErrSpec: %v", err)
	assert.True(t, errors.Is(err, generator.ErrUnsupportedKeyword), "not an ErrUnsupportedKeyword: %v", err)
	var kw *generator.KeywordError
	require.True(t, errors.As(err, &kw), "no *KeywordError in %v", err)
	assert.Equal(t, keyword, kw.Keyword)
	assert.Equal(t, pointer, kw.Pointer)
	assert.Contains(t, err.Error(), keyword)
	assert.Contains(t, err.Error(), pointer)
}

// TestAcceptedKeywords checks that the implemented 2020-12 keywords, and
// the annotations, load without refusal, including unevaluated* (also
// through an allOf $ref) and "const" used as a property name.
func TestAcceptedKeywords(t *testing.T) {
	spec := specHead + `webhooks:
  a:
    post:
      requestBody:
        content:
          application/json:
            schema:
              $schema: "https://json-schema.org/draft/2020-12/schema"
              type: object
              properties:
                const: {type: string}
                a: {if: {minimum: 1}, then: {multipleOf: 2}, else: false}
                b: {prefixItems: [true, {type: string}], items: false, contains: {const: x}, minContains: 1, maxContains: 2}
                c: {patternProperties: {"^x-": {type: integer}}, additionalProperties: false, propertyNames: {maxLength: 5}}
                d: {dependentRequired: {a: [b]}, dependentSchemas: {a: {required: [c]}}, unevaluatedProperties: true}
                f: {allOf: [{$ref: "#/components/schemas/T"}], unevaluatedProperties: false, unevaluatedItems: {type: string}}
                e: {type: "null", enum: [], $comment: annotation, contentMediaType: application/json, deprecated: true}
              example: {const: x, d: {const: null}}
      responses: {"200": {description: ok}}
components:
  schemas:
    T: {properties: {a: true}}
`
	cfg := generator.Config{Spec: writeSpec(t, spec), Package: "p"}
	_, err := generator.Run(context.Background(), cfg)
	require.NoError(t, err)
	_, err = dynamic.LoadFamily(context.Background(), cfg.Dynamic())
	require.NoError(t, err)
}

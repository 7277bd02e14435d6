// Package spec30 turns the project's StackState OpenAPI 3.1 document, whose
// receiver is a `webhooks:` entry, into an OpenAPI 3.0.3 document with the
// same operation under `paths:`, which is what the peer receivers (ogen and
// the kin-openapi request validator behind gorilla/mux) route on.
package spec30

import (
	"errors"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Path is where the 3.0 document mounts the StackState webhook: the
// spec's x-hookgen-path, so every receiver of the benchmark serves one URL.
const Path = "/stackstate/notification"

// ErrShape is wrapped by Convert's error when the input lacks a part the
// conversion needs (the notification webhook, the schemas, the Token scheme).
var ErrShape = errors.New("spec30: unexpected document shape")

// Convert returns the 3.0.3 YAML for the StackState 3.1 document src: the
// webhook's POST operation at [Path], its schemas and its Token scheme,
// every x- extension removed, and the responses cut down to 200 and 404
// (the peers answer nothing else on the happy path and on a bad token).
func Convert(src []byte) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("spec30: %w", err)
	}
	op, err := dig(doc, "webhooks", "notification", "post")
	if err != nil {
		return nil, err
	}
	schemas, err := dig(doc, "components", "schemas")
	if err != nil {
		return nil, err
	}
	token, err := dig(doc, "components", "securitySchemes", "Token")
	if err != nil {
		return nil, err
	}
	delete(token, "description")
	op["responses"] = map[string]any{
		"200": map[string]any{"description": "ok"},
		"404": map[string]any{"description": "Invalid token."},
	}
	out := map[string]any{
		"openapi":    "3.0.3",
		"info":       map[string]any{"title": "StackState", "version": "1.0.0"},
		"paths":      map[string]any{Path: map[string]any{"post": op}},
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"Token": token}},
		"security":   []any{map[string]any{"Token": []any{}}},
	}
	b, err := yaml.Marshal(strip(out))
	if err != nil {
		return nil, fmt.Errorf("spec30: %w", err)
	}
	return b, nil
}

func dig(m map[string]any, keys ...string) (map[string]any, error) {
	cur := m
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%w: no object at %q", ErrShape, k)
		}
		cur = next
	}
	return cur, nil
}

// strip removes every key starting with "x-", recursively.
func strip(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if len(k) > 1 && k[0] == 'x' && k[1] == '-' {
				continue
			}
			out[k] = strip(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = strip(e)
		}
		return out
	}
	return v
}

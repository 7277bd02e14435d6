package dynamic

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// decodingRefs wraps a document reader so that percent-encoded $ref
// fragments resolve. A $ref is a URI reference, so the JSON pointer in its
// fragment may be percent-encoded (RFC 6901 §6, RFC 3986 §3.5): StackState
// publishes `webhook.api.yaml#/paths/%2Fwebhook` for the path "/webhook".
// kin-openapi decodes the whole fragment before splitting it, so %2F
// becomes a separator and the reference fails. Each reference whose
// fragment holds a '%' is rewritten to the equivalent canonical pointer:
// the fragment is split at '/', each token is unescaped (~1, ~0) and
// percent-decoded, then written back with ~-escapes and only the
// percent-encoding a fragment needs. A document with no such reference is
// passed on byte for byte.
func decodingRefs(next openapi3.ReadFromURIFunc) openapi3.ReadFromURIFunc {
	return func(l *openapi3.Loader, location *url.URL) ([]byte, error) {
		data, err := next(l, location)
		if err != nil || !bytes.Contains(data, []byte("%")) {
			return data, err
		}
		var root yaml.Node
		if yaml.Unmarshal(data, &root) != nil {
			return data, nil // not YAML: kin-openapi reports it
		}
		if !rewriteRefs(&root) {
			return data, nil
		}
		out, err := yaml.Marshal(&root)
		if err != nil {
			return data, nil
		}
		return out, nil
	}
}

// rewriteRefs canonicalises every $ref value under n; it reports whether
// any changed.
func rewriteRefs(n *yaml.Node) bool {
	changed := false
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "$ref" && v.Kind == yaml.ScalarNode {
				if c, ok := CanonicalRef(v.Value); ok && c != v.Value {
					v.Value, v.Style, changed = c, yaml.DoubleQuotedStyle, true
				}
			}
		}
	}
	for _, c := range n.Content {
		changed = rewriteRefs(c) || changed
	}
	return changed
}

// CanonicalRef rewrites a $ref whose fragment is a percent-encoded JSON
// pointer into the same reference with the pointer's tokens ~-escaped and
// the fragment percent-encoded only where RFC 3986 requires:
// "a.yaml#/paths/%2Fwebhook" → "a.yaml#/paths/~1webhook". It returns false
// when ref has no fragment, the fragment is not a pointer, or an escape is
// malformed (the reference is then left for the loader to report).
func CanonicalRef(ref string) (string, bool) {
	i := strings.IndexByte(ref, '#')
	if i < 0 {
		return ref, false
	}
	frag := ref[i+1:]
	if !strings.HasPrefix(frag, "/") || !strings.Contains(frag, "%") {
		return ref, false
	}
	tokens := strings.Split(frag[1:], "/")
	for j, t := range tokens {
		t = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		d, err := url.PathUnescape(t)
		if err != nil {
			return ref, false
		}
		tokens[j] = strings.ReplaceAll(strings.ReplaceAll(d, "~", "~0"), "/", "~1")
	}
	pointer := "/" + strings.Join(tokens, "/")
	return ref[:i] + "#" + (&url.URL{Fragment: pointer}).EscapedFragment(), true
}

package generator

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

// ErrUnsupportedKeyword marks a schema that uses a JSON Schema keyword the
// validators do not implement (dynamic.ErrUnsupportedKeyword: generate and
// serve refuse the same schemas).
var ErrUnsupportedKeyword = dynamic.ErrUnsupportedKeyword

// KeywordError names the refused keyword and the JSON pointer of the schema
// that uses it.
type KeywordError = dynamic.KeywordError

// checkKeywords refuses a schema that reaches a keyword the compiled
// validators do not implement.
func checkKeywords(sr *openapi3.SchemaRef, ptr string) error { return dynamic.CheckKeywords(sr, ptr) }

// bodyPointer is the JSON pointer of the request body schema of method on
// the webhook or path it.
func bodyPointer(it pathItem, method string, content openapi3.Content, mt *openapi3.MediaType) string {
	where := "#/webhooks/" + escapePointer(it.key)
	if it.isPath {
		where = "#/paths/" + escapePointer(it.path)
	}
	ct := ""
	for k, v := range content {
		if v == mt {
			ct = k
		}
	}
	return where + "/" + strings.ToLower(method) + "/requestBody/content/" + escapePointer(ct) + "/schema"
}

package generator

import (
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

package dynamic

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// ErrUnsupportedKeyword marks a schema that uses a JSON Schema keyword the
// validators do not implement. hookgen refuses such a spec rather than
// validate less than it says.
var ErrUnsupportedKeyword = errors.New("unsupported JSON Schema keyword")

// KeywordError names the refused keyword and the JSON pointer (into the
// spec) of the schema that uses it.
type KeywordError struct {
	Keyword string
	Pointer string
	Reason  string
}

func (e *KeywordError) Error() string {
	return fmt.Sprintf("%s %q at %s: %s", ErrUnsupportedKeyword, e.Keyword, e.Pointer, e.Reason)
}

// Unwrap makes errors.Is(err, ErrUnsupportedKeyword) hold.
func (e *KeywordError) Unwrap() error { return ErrUnsupportedKeyword }

// dialects are the JSON Schema dialects of OpenAPI 3.1 schemas.
var dialects = map[string]bool{
	"": true,
	"https://json-schema.org/draft/2020-12/schema":   true,
	"https://json-schema.org/draft/2020-12/schema#":  true,
	"https://spec.openapis.org/oas/3.1/dialect/base": true,
}

// refusedExtensions are JSON Schema keywords (of 2020-12 or of the drafts
// before it) that the loader keeps only as unknown members; they would
// change what a schema accepts, so they are refused, not ignored.
var refusedExtensions = map[string]string{
	"$vocabulary":      "custom vocabularies are not supported",
	"$recursiveRef":    "draft 2019-09 keyword; dynamic references are not supported",
	"$recursiveAnchor": "draft 2019-09 keyword; dynamic references are not supported",
	"dependencies":     "draft-07 keyword; use dependentRequired or dependentSchemas",
	"additionalItems":  "draft 2019-09 keyword; use prefixItems and items",
}

// CheckKeywords walks the schema sr (found at JSON pointer ptr) and every
// schema it reaches, and returns a *KeywordError for the first keyword the
// validators do not implement. References are followed; a referenced
// schema is reported at its own pointer.
func CheckKeywords(sr *openapi3.SchemaRef, ptr string) error {
	seen := map[*openapi3.Schema]bool{}
	return walkKeywords(sr, ptr, seen)
}

func walkKeywords(sr *openapi3.SchemaRef, ptr string, seen map[*openapi3.Schema]bool) error {
	if sr == nil || sr.Value == nil {
		return nil
	}
	if sr.Ref != "" {
		if kw := unevaluatedNextToRef(sr); kw != "" {
			return &KeywordError{Keyword: kw, Pointer: ptr, Reason: "next to a $ref with sibling keywords: the loader merges the referenced schema with its siblings, which changes what " + kw + " sees; move the siblings into an allOf entry"}
		}
	}
	if strings.HasPrefix(sr.Ref, "#") {
		ptr = sr.Ref
	}
	s := sr.Value
	if seen[s] || s.Always != nil {
		return nil
	}
	seen[s] = true
	refuse := func(kw, reason string) error {
		return &KeywordError{Keyword: kw, Pointer: ptr, Reason: reason}
	}
	switch {
	case s.SchemaID != "":
		return refuse("$id", "schema resources with their own base URI are not supported; move the schema under components and use a local $ref")
	case s.Anchor != "":
		return refuse("$anchor", "anchors are not supported; use a JSON pointer $ref")
	case s.DynamicRef != "":
		return refuse("$dynamicRef", "dynamic references are not supported")
	case s.DynamicAnchor != "":
		return refuse("$dynamicAnchor", "dynamic references are not supported")
	case !dialects[s.SchemaDialect]:
		return refuse("$schema", "only the JSON Schema 2020-12 dialect is supported, not "+strconv.Quote(s.SchemaDialect))
	}
	for _, k := range sortedKeys(s.Extensions) {
		if reason, ok := refusedExtensions[k]; ok {
			return refuse(k, reason)
		}
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			return refuse("pattern", "the regular expression is not supported by Go's RE2 syntax: "+err.Error())
		}
	}
	for _, p := range sortedSchemaNames(s.PatternProperties) {
		if _, err := regexp.Compile(p); err != nil {
			return refuse("patternProperties", "the regular expression "+strconv.Quote(p)+" is not supported by Go's RE2 syntax: "+err.Error())
		}
	}
	type sub struct {
		ptr string
		sr  *openapi3.SchemaRef
	}
	var subs []sub
	list := func(kw string, refs openapi3.SchemaRefs) {
		for i, r := range refs {
			subs = append(subs, sub{ptr + "/" + kw + "/" + strconv.Itoa(i), r})
		}
	}
	named := func(kw string, m openapi3.Schemas) {
		for _, k := range sortedSchemaNames(m) {
			subs = append(subs, sub{ptr + "/" + kw + "/" + escapePointer(k), m[k]})
		}
	}
	one := func(kw string, r *openapi3.SchemaRef) {
		if r != nil {
			subs = append(subs, sub{ptr + "/" + kw, r})
		}
	}
	list("allOf", s.AllOf)
	list("anyOf", s.AnyOf)
	list("oneOf", s.OneOf)
	one("not", s.Not)
	one("if", s.If)
	one("then", s.Then)
	one("else", s.Else)
	named("properties", s.Properties)
	named("patternProperties", s.PatternProperties)
	one("additionalProperties", s.AdditionalProperties.Schema)
	one("propertyNames", s.PropertyNames)
	named("dependentSchemas", s.DependentSchemas)
	list("prefixItems", s.PrefixItems)
	one("items", s.Items)
	one("contains", s.Contains)
	one("unevaluatedProperties", s.UnevaluatedProperties.Schema)
	one("unevaluatedItems", s.UnevaluatedItems.Schema)
	for _, x := range subs {
		if err := walkKeywords(x.sr, x.ptr, seen); err != nil {
			return err
		}
	}
	return nil
}

// BodyPointer is the JSON pointer of the request body schema of method on
// the webhook or path it.
func BodyPointer(it PathItem, method string, content openapi3.Content, mt *openapi3.MediaType) string {
	where := "#/webhooks/" + escapePointer(it.Key)
	if it.IsPath {
		where = "#/paths/" + escapePointer(it.Path)
	}
	ct := ""
	for k, v := range content {
		if v == mt {
			ct = k
		}
	}
	return where + "/" + strings.ToLower(method) + "/requestBody/content/" + escapePointer(ct) + "/schema"
}

// notData lists the members whose values are instances (examples, enum
// values), not schemas; the raw scan does not look inside them.
var notData = map[string]bool{"example": true, "examples": true, "default": true, "enum": true, "const": true}

// checkRawKeywords scans the spec text for what the OpenAPI loader cannot
// represent: "const": null decodes to the same schema as no const at all,
// so it would be ignored. It is refused with its pointer.
func checkRawKeywords(data []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil // the loader reports syntax errors
	}
	return scanRaw(&root, "#")
}

func scanRaw(n *yaml.Node, ptr string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := scanRaw(c, ptr); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := scanRaw(c, ptr+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			if k == "const" && v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				return &KeywordError{Keyword: "const", Pointer: ptr, Reason: "const: null cannot be told from an absent const by the OpenAPI loader; write enum: [null]"}
			}
			if notData[k] || strings.HasPrefix(k, "x-") {
				continue
			}
			if err := scanRaw(v, ptr+"/"+escapePointer(k)); err != nil {
				return err
			}
		}
	}
	return nil
}

// refAnnotations are the sibling keywords of a $ref that the loader copies
// onto the referenced schema instead of adding them as an allOf entry.
var refAnnotations = map[string]bool{"$comment": true, "allowEmptyValue": true, "default": true, "deprecated": true, "description": true,
	"discriminator": true, "example": true, "examples": true, "externalDocs": true, "nullable": true, "readOnly": true, "title": true, "writeOnly": true, "xml": true}

// unevaluatedNextToRef names the unevaluated* keyword that a $ref with
// assertion siblings would evaluate wrongly, "" when there is none. The
// loader turns {$ref: T, <siblings>} into a copy of T with the siblings as
// one more allOf entry: an unevaluated* of T would then see the siblings'
// annotations, and one among the siblings would miss T's.
func unevaluatedNextToRef(sr *openapi3.SchemaRef) string {
	out, err := sr.MarshalYAML()
	if err != nil {
		return ""
	}
	m, ok := out.(map[string]any)
	if !ok {
		return ""
	}
	assertions := false
	for k := range m {
		if k != "$ref" && !strings.HasPrefix(k, "x-") && !refAnnotations[k] {
			assertions = true
		}
	}
	if !assertions {
		return ""
	}
	s := sr.Value
	_, sibProps := m["unevaluatedProperties"]
	_, sibItems := m["unevaluatedItems"]
	switch {
	case sibProps || s.UnevaluatedProperties.Has != nil || s.UnevaluatedProperties.Schema != nil:
		return "unevaluatedProperties"
	case sibItems || s.UnevaluatedItems.Has != nil || s.UnevaluatedItems.Schema != nil:
		return "unevaluatedItems"
	}
	return ""
}

func sortedSchemaNames(m openapi3.Schemas) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

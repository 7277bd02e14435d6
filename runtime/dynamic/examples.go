package dynamic

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Warning is something wrong in a spec that hookgen works around rather
// than refuses, with where it is.
type Warning struct {
	// Pointer locates the problem in the spec ("#/paths/~1webhook/post/…").
	Pointer string
	// Message says what is wrong.
	Message string
}

// String renders the warning as "pointer: message".
func (w Warning) String() string { return w.Pointer + ": " + w.Message }

// ExampleWarnings checks every example of the document's operations
// (parameters, request bodies, responses) and of its component schemas
// against the schema it illustrates, as kin-openapi's example validation
// does, and returns one warning per violating example, naming the
// example's pointer in the spec and the failing fields' pointers in the
// example. Vendors publish examples that break their own schemas; that is
// worth a warning, not a refusal of the spec.
func ExampleWarnings(ctx context.Context, doc *openapi3.T) []Warning {
	c := exampleChecker{ctx: ctx, json2020: doc.IsOpenAPI31OrLater()}
	for _, it := range PathItems(doc) {
		base := "#/paths/" + escapePointer(it.Path)
		if !it.IsPath {
			base = "#/webhooks/" + escapePointer(it.Key)
		}
		for _, m := range SortedMethods(it.Item) {
			c.operation(base+"/"+strings.ToLower(m), it.Item.GetOperation(m))
		}
	}
	if doc.Components != nil {
		for _, n := range sortedKeys(doc.Components.Schemas) {
			if s := doc.Components.Schemas[n]; s != nil && s.Value != nil {
				c.schema("#/components/schemas/"+escapePointer(n), s.Value)
			}
		}
	}
	return c.out
}

type exampleChecker struct {
	ctx      context.Context
	json2020 bool
	out      []Warning
}

func (c *exampleChecker) operation(at string, op *openapi3.Operation) {
	for i, p := range op.Parameters {
		if p.Value != nil && p.Value.Schema != nil {
			c.examples(fmt.Sprintf("%s/parameters/%d", at, i), p.Value.Example, p.Value.Examples, p.Value.Schema.Value, openapi3.VisitAsRequest())
		}
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		c.content(at+"/requestBody/content", op.RequestBody.Value.Content, openapi3.VisitAsRequest())
	}
	if op.Responses != nil {
		codes := op.Responses.Map()
		for _, code := range sortedKeys(codes) {
			if r := codes[code]; r != nil && r.Value != nil {
				c.content(at+"/responses/"+escapePointer(code)+"/content", r.Value.Content, openapi3.VisitAsResponse())
			}
		}
	}
}

func (c *exampleChecker) content(at string, content openapi3.Content, as openapi3.SchemaValidationOption) {
	for _, ct := range mediaKeys(content) {
		mt := content[ct]
		if mt != nil && mt.Schema != nil {
			c.examples(at+"/"+escapePointer(ct), mt.Example, mt.Examples, mt.Schema.Value, as)
		}
	}
}

func (c *exampleChecker) examples(at string, example any, examples openapi3.Examples, s *openapi3.Schema, as openapi3.SchemaValidationOption) {
	if s == nil {
		return
	}
	if example != nil {
		c.check(at+"/example", example, s, as)
	}
	for _, name := range sortedKeys(examples) {
		if e := examples[name]; e != nil && e.Value != nil && e.Value.Value != nil {
			c.check(at+"/examples/"+escapePointer(name)+"/value", e.Value.Value, s, as)
		}
	}
}

func (c *exampleChecker) schema(at string, s *openapi3.Schema) {
	if s.Example != nil {
		c.check(at+"/example", s.Example, s, nil)
	}
	for i, x := range s.Examples {
		c.check(fmt.Sprintf("%s/examples/%d", at, i), x, s, nil)
	}
}

func (c *exampleChecker) check(at string, v any, s *openapi3.Schema, as openapi3.SchemaValidationOption) {
	if err := checkExample(s, v, c.json2020, as); err != nil {
		c.out = append(c.out, Warning{Pointer: at, Message: "example violates its schema: " + schemaErrors(err)})
	}
}

// CheckRequestExample reports whether an example request body v violates
// schema s, as ExampleWarnings judges it (nil when it does not); the error
// lists the failing fields' pointers.
func CheckRequestExample(doc *openapi3.T, s *openapi3.Schema, v any) error {
	if err := checkExample(s, v, doc.IsOpenAPI31OrLater(), openapi3.VisitAsRequest()); err != nil {
		return errors.New(schemaErrors(err))
	}
	return nil
}

func checkExample(s *openapi3.Schema, v any, json2020 bool, as openapi3.SchemaValidationOption) error {
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
	if as != nil {
		opts = append(opts, as)
	}
	if json2020 {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	return s.VisitJSON(v, opts...)
}

// schemaErrors lists kin-openapi's schema errors as "at /ptr: reason".
func schemaErrors(err error) string {
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = me
	} else {
		errs = []error{err}
	}
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		var se *openapi3.SchemaError
		if errors.As(e, &se) {
			p := se.JSONPointer()
			if len(p) == 0 {
				parts = append(parts, se.Reason) // the 2020-12 validator puts the pointer in the reason
				continue
			}
			for i := range p {
				p[i] = escapePointer(p[i])
			}
			parts = append(parts, fmt.Sprintf("at /%s: %s", strings.Join(p, "/"), se.Reason))
			continue
		}
		parts = append(parts, e.Error())
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

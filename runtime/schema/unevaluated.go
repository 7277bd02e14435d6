package schema

import (
	"regexp"
	"strconv"
)

// Evaluated collects, for one object or array, the property names and item
// indexes that the keywords of a schema and of its in-place sub-schemas
// (allOf, the passing anyOf/oneOf branches, if/then/else,
// dependentSchemas, $ref) evaluated: the annotations that
// unevaluatedProperties and unevaluatedItems are defined by.
type Evaluated struct {
	props    map[string]bool
	allProps bool
	prefix   int
	allItems bool
	items    map[int]bool
}

// AnnotateFunc is the signature of a generated annotation collector: it
// adds to e what the schema evaluates of the value v at pointer p.
type AnnotateFunc func(c *Checker, p string, v any, e *Evaluated)

// NoAnnotations is the collector of a schema that evaluates nothing (a
// boolean schema).
func NoAnnotations(*Checker, string, any, *Evaluated) {}

// Props marks the named properties evaluated (properties).
func (e *Evaluated) Props(names ...string) {
	if e.props == nil {
		e.props = make(map[string]bool, len(names))
	}
	for _, n := range names {
		e.props[n] = true
	}
}

// PatternProps marks the properties of v whose names match re evaluated
// (patternProperties). v that is not an object is ignored.
func (e *Evaluated) PatternProps(v any, re *regexp.Regexp) {
	o, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k := range o {
		if re.MatchString(k) {
			e.Props(k)
		}
	}
}

// AllProps marks every property evaluated (additionalProperties, or an
// unevaluatedProperties of a sub-schema that passed).
func (e *Evaluated) AllProps() { e.allProps = true }

// Prefix marks the first n items evaluated (prefixItems).
func (e *Evaluated) Prefix(n int) {
	if n > e.prefix {
		e.prefix = n
	}
}

// AllItems marks every item evaluated (items, or an unevaluatedItems of a
// sub-schema that passed).
func (e *Evaluated) AllItems() { e.allItems = true }

func (e *Evaluated) prop(k string) bool { return e.allProps || e.props[k] }

func (e *Evaluated) item(i int) bool { return e.allItems || i < e.prefix || e.items[i] }

// Passes reports whether v passes validate, discarding the findings: the
// annotations of an anyOf/oneOf branch or an if count only when it passes.
func (c *Checker) Passes(p string, v any, validate ValidateFunc) bool {
	return c.try(p, v, validate).OK()
}

// EvalContains marks the items of v that pass validate evaluated
// (contains). v that is not an array is ignored.
func (c *Checker) EvalContains(p string, v any, validate ValidateFunc, e *Evaluated) {
	a, ok := v.([]any)
	if !ok {
		return
	}
	for i, y := range a {
		if c.Passes(Index(p, i), y, validate) {
			if e.items == nil {
				e.items = map[int]bool{}
			}
			e.items[i] = true
		}
	}
}

// UnevaluatedProps validates the properties of o that e does not list with
// validate; a nil validate (unevaluatedProperties: false) rejects them.
func (c *Checker) UnevaluatedProps(p string, o map[string]any, e *Evaluated, validate ValidateFunc) {
	for _, k := range sortedKeys(o) {
		if e.prop(k) {
			continue
		}
		if validate == nil {
			c.Fail(Ptr(p, k), "unevaluatedProperties", "property "+strconv.Quote(k)+" is not allowed")
			continue
		}
		validate(c, Ptr(p, k), o[k])
	}
}

// UnevaluatedItems validates the items of a that e does not list with
// validate; a nil validate (unevaluatedItems: false) rejects them.
func (c *Checker) UnevaluatedItems(p string, a []any, e *Evaluated, validate ValidateFunc) {
	for i, y := range a {
		if e.item(i) {
			continue
		}
		if validate == nil {
			c.Fail(Index(p, i), "unevaluatedItems", "item "+strconv.Itoa(i)+" is not allowed")
			continue
		}
		validate(c, Index(p, i), y)
	}
}

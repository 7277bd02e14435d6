package dynamic

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/runtime/schema"
)

// interpreter validates against a schema at run time with exactly the
// semantics the compiled validators have (validator.go emits code; this
// walks the same keywords in the same order with the same runtime/schema
// helpers). `hookgen serve`, `validate` and `send` use it where no code was
// generated; the differential test runs it against kin-openapi too.
type interpreter struct {
	cache map[*openapi3.Schema]schema.ValidateFunc
	res   map[string]*regexp.Regexp
	doc   *openapi3.T
}

func newInterpreter(doc *openapi3.T) *interpreter {
	return &interpreter{cache: map[*openapi3.Schema]schema.ValidateFunc{}, res: map[string]*regexp.Regexp{}, doc: doc}
}

func (it *interpreter) fn(sr *openapi3.SchemaRef) schema.ValidateFunc {
	if sr == nil || sr.Value == nil {
		return func(*schema.Checker, string, any) {}
	}
	s := sr.Value
	if f, ok := it.cache[s]; ok {
		return f
	}
	// Recursive schemas: install a forwarder before building.
	var built schema.ValidateFunc
	it.cache[s] = func(c *schema.Checker, p string, v any) { built(c, p, v) }
	built = it.build(s)
	it.cache[s] = built
	return built
}

func (it *interpreter) build(s *openapi3.Schema) schema.ValidateFunc {
	var types, nonNull []string
	if s.Type != nil {
		types = s.Type.Slice()
	}
	nullable := s.Nullable
	for _, t := range types {
		if t == "null" {
			nullable = true
		} else {
			nonNull = append(nonNull, t)
		}
	}
	var allOf []schema.ValidateFunc
	for _, x := range s.AllOf {
		allOf = append(allOf, it.fn(x))
	}
	var disc func(c *schema.Checker, p string, v any)
	var oneOf, anyOf []schema.ValidateFunc
	if s.Discriminator != nil && len(unionOf(s)) > 0 {
		disc = it.discriminator(s)
	} else {
		for _, x := range s.OneOf {
			oneOf = append(oneOf, it.fn(x))
		}
		for _, x := range s.AnyOf {
			anyOf = append(anyOf, it.fn(x))
		}
	}
	var not schema.ValidateFunc
	if s.Not != nil {
		not = it.fn(s.Not)
	}
	var enumStr, enumCanon []string
	allStrings := true
	for _, e := range s.Enum {
		es, ok := e.(string)
		allStrings = allStrings && ok
		enumStr = append(enumStr, es)
		enumCanon = append(enumCanon, schema.Canon(e))
	}
	var constCanon *string
	if s.Const != nil {
		c := schema.Canon(s.Const)
		constCanon = &c
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	props := make([]schema.ValidateFunc, len(names))
	for i, n := range names {
		props[i] = it.fn(s.Properties[n])
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	isKnown := func(k string) bool { return known[k] }
	closed := s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	var extra schema.ValidateFunc
	if s.AdditionalProperties.Schema != nil {
		extra = it.fn(s.AdditionalProperties.Schema)
	}
	var items schema.ValidateFunc
	if s.Items != nil {
		items = it.fn(s.Items)
	}
	var re *regexp.Regexp
	if s.Pattern != "" {
		re = it.re(s.Pattern)
	}
	return func(c *schema.Checker, p string, v any) {
		if len(nonNull) > 0 {
			if nullable && v == nil {
				return
			}
			ok := false
			for _, t := range nonNull {
				ok = ok || schema.HasType(v, t)
			}
			if !ok {
				c.TypeError(p, v, types...)
				return
			}
		}
		for _, f := range allOf {
			f(c, p, v)
		}
		if disc != nil {
			disc(c, p, v)
		}
		if len(oneOf) > 0 {
			c.OneOf(p, v, oneOf...)
		}
		if len(anyOf) > 0 {
			c.AnyOf(p, v, anyOf...)
		}
		if not != nil {
			c.Not(p, v, not)
		}
		if len(s.Enum) > 0 {
			if x, ok := v.(string); ok && allStrings {
				c.EnumString(p, x, enumStr...)
			} else if v != nil || !nullable {
				c.EnumAny(p, v, enumCanon...)
			}
		}
		if constCanon != nil {
			c.Const(p, v, *constCanon)
		}
		switch x := v.(type) {
		case map[string]any:
			if len(s.Required) > 0 {
				c.Required(p, x, s.Required...)
			}
			for i, n := range names {
				if y, ok := x[n]; ok {
					props[i](c, schema.Ptr(p, n), y)
				}
			}
			if closed {
				c.NoExtra(p, x, isKnown)
			} else if extra != nil {
				c.Extra(p, x, isKnown, extra)
			}
			if s.MinProps > 0 || s.MaxProps != nil {
				c.PropCount(p, x, int(s.MinProps), optU(s.MaxProps))
			}
		case []any:
			if s.MinItems > 0 || s.MaxItems != nil {
				c.ItemCount(p, x, int(s.MinItems), optU(s.MaxItems))
			}
			if s.UniqueItems {
				c.Unique(p, x)
			}
			if items != nil {
				for i, y := range x {
					items(c, schema.Index(p, i), y)
				}
			}
		case string:
			if s.MinLength > 0 || s.MaxLength != nil {
				c.Length(p, x, int(s.MinLength), optU(s.MaxLength))
			}
			if re != nil {
				c.Pattern(p, x, re, s.Pattern)
			}
			if s.Format != "" && schema.KnownFormat(s.Format) {
				c.Format(p, x, s.Format)
			}
		case json.Number:
			if s.Min != nil || s.Max != nil {
				c.Bounds(p, x, s.Min, s.Max, s.ExclusiveMin.IsTrue(), s.ExclusiveMax.IsTrue())
			}
			if s.ExclusiveMin.Value != nil {
				c.Bounds(p, x, s.ExclusiveMin.Value, nil, true, false)
			}
			if s.ExclusiveMax.Value != nil {
				c.Bounds(p, x, nil, s.ExclusiveMax.Value, false, true)
			}
			if s.MultipleOf != nil {
				c.MultipleOf(p, x, *s.MultipleOf)
			}
		}
	}
}

func (it *interpreter) discriminator(s *openapi3.Schema) func(c *schema.Checker, p string, v any) {
	prop := s.Discriminator.PropertyName
	arms := map[string]schema.ValidateFunc{}
	var all []string
	if len(s.Discriminator.Mapping) > 0 {
		for v, ref := range s.Discriminator.Mapping {
			var target *openapi3.SchemaRef
			for _, u := range unionOf(s) {
				if u.Ref == ref.Ref {
					target = u
				}
			}
			if target == nil && it.doc.Components != nil {
				target = it.doc.Components.Schemas[refName(ref.Ref)]
			}
			arms[v] = it.fn(target)
			all = append(all, v)
		}
	} else {
		for _, u := range unionOf(s) {
			arms[refName(u.Ref)] = it.fn(u)
			all = append(all, refName(u.Ref))
		}
	}
	sort.Strings(all)
	return func(c *schema.Checker, p string, v any) {
		x, ok := v.(map[string]any)
		if !ok {
			return
		}
		dp := schema.Ptr(p, prop)
		d, ok := x[prop].(string)
		switch {
		case !ok:
			c.Discriminator(dp, x[prop])
		case arms[d] != nil:
			arms[d](c, p, v)
		default:
			c.EnumString(dp, d, all...)
		}
	}
}

func (it *interpreter) re(p string) *regexp.Regexp {
	if r, ok := it.res[p]; ok {
		return r
	}
	r, err := regexp.Compile(p)
	if err != nil {
		r = regexp.MustCompile(`^$|[\s\S]`) // kin-openapi rejects such specs on load; accept everything rather than panic
	}
	it.res[p] = r
	return r
}

// optU converts an optional schema bound to the checker's int, -1 for
// absent and clamped to MaxInt32.
func optU(p *uint64) int {
	if p == nil {
		return -1
	}
	if *p > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(*p)
}

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
	anns  map[*openapi3.Schema]schema.AnnotateFunc
	res   map[string]*regexp.Regexp
	doc   *openapi3.T
}

func newInterpreter(doc *openapi3.T) *interpreter {
	return &interpreter{cache: map[*openapi3.Schema]schema.ValidateFunc{}, anns: map[*openapi3.Schema]schema.AnnotateFunc{}, res: map[string]*regexp.Regexp{}, doc: doc}
}

func (it *interpreter) fn(sr *openapi3.SchemaRef) schema.ValidateFunc {
	if sr == nil || sr.Value == nil {
		return func(*schema.Checker, string, any) {}
	}
	s := sr.Value
	if s.Always != nil {
		if *s.Always {
			return func(*schema.Checker, string, any) {}
		}
		return schema.Nothing
	}
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

// opt is fn for an optional sub-schema: nil when it is absent.
func (it *interpreter) opt(sr *openapi3.SchemaRef) schema.ValidateFunc {
	if sr == nil {
		return nil
	}
	return it.fn(sr)
}

func (it *interpreter) build(s *openapi3.Schema) schema.ValidateFunc {
	var types []string
	if s.Type != nil {
		types = s.Type.Slice()
	}
	want := types
	if s.Nullable && !contains(types, "null") {
		want = append(append([]string{}, types...), "null")
	}
	checks := []schema.ValidateFunc{}
	add := func(f schema.ValidateFunc) { checks = append(checks, f) }
	for _, x := range s.AllOf {
		add(it.fn(x))
	}
	if s.Discriminator != nil && len(unionOf(s)) > 0 {
		add(it.discriminator(s))
	} else {
		if len(s.OneOf) > 0 {
			alts := it.list(s.OneOf)
			add(func(c *schema.Checker, p string, v any) { c.OneOf(p, v, alts...) })
		}
		if len(s.AnyOf) > 0 {
			alts := it.list(s.AnyOf)
			add(func(c *schema.Checker, p string, v any) { c.AnyOf(p, v, alts...) })
		}
	}
	if s.Not != nil {
		not := it.fn(s.Not)
		add(func(c *schema.Checker, p string, v any) { c.Not(p, v, not) })
	}
	if s.If != nil && (s.Then != nil || s.Else != nil) {
		cond, then, els := it.fn(s.If), it.opt(s.Then), it.opt(s.Else)
		add(func(c *schema.Checker, p string, v any) { c.IfThenElse(p, v, cond, then, els) })
	}
	if s.Enum != nil {
		add(it.enum(s.Enum))
	}
	if s.Const != nil {
		want := schema.Canon(s.Const)
		add(func(c *schema.Checker, p string, v any) { c.Const(p, v, want) })
	}
	if f := it.object(s); f != nil {
		add(f)
	}
	if f := it.array(s); f != nil {
		add(f)
	}
	if f := it.str(s); f != nil {
		add(f)
	}
	if f := it.number(s); f != nil {
		add(f)
	}
	if f := it.unevaluated(s); f != nil {
		add(f)
	}
	return func(c *schema.Checker, p string, v any) {
		if s.Nullable && v == nil {
			return
		}
		if len(types) > 0 {
			ok := false
			for _, t := range types {
				ok = ok || schema.HasType(v, t)
			}
			if !ok {
				c.TypeError(p, v, want...)
				return
			}
		}
		for _, f := range checks {
			f(c, p, v)
		}
	}
}

func (it *interpreter) list(refs openapi3.SchemaRefs) []schema.ValidateFunc {
	out := make([]schema.ValidateFunc, len(refs))
	for i, r := range refs {
		out[i] = it.fn(r)
	}
	return out
}

func (it *interpreter) enum(values []any) schema.ValidateFunc {
	var strs, canon []string
	allStrings := len(values) > 0
	for _, e := range values {
		es, ok := e.(string)
		allStrings = allStrings && ok
		strs = append(strs, es)
		canon = append(canon, schema.Canon(e))
	}
	return func(c *schema.Checker, p string, v any) {
		if x, ok := v.(string); ok && allStrings {
			c.EnumString(p, x, strs...)
		} else {
			c.EnumAny(p, v, canon...)
		}
	}
}

func (it *interpreter) object(s *openapi3.Schema) schema.ValidateFunc {
	names := sortedSchemaNames(s.Properties)
	patterns := sortedSchemaNames(s.PatternProperties)
	closed := s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	var extra schema.ValidateFunc
	if e := s.AdditionalProperties.Schema; e != nil {
		if e.Value != nil && e.Value.Always != nil {
			closed = !*e.Value.Always
		} else {
			extra = it.fn(e)
		}
	}
	if len(names) == 0 && len(patterns) == 0 && len(s.Required) == 0 && !closed && extra == nil && s.MinProps == 0 && s.MaxProps == nil &&
		len(s.DependentRequired) == 0 && len(s.DependentSchemas) == 0 && s.PropertyNames == nil {
		return nil
	}
	props := make([]schema.ValidateFunc, len(names))
	known := map[string]bool{}
	for i, n := range names {
		props[i] = it.fn(s.Properties[n])
		known[n] = true
	}
	res := make([]*regexp.Regexp, len(patterns))
	pprops := make([]schema.ValidateFunc, len(patterns))
	for i, pat := range patterns {
		res[i], pprops[i] = it.re(pat), it.fn(s.PatternProperties[pat])
	}
	isKnown := func(k string) bool {
		if known[k] {
			return true
		}
		for _, re := range res {
			if re.MatchString(k) {
				return true
			}
		}
		return false
	}
	depReq := sortedKeys(s.DependentRequired)
	depNames := sortedSchemaNames(s.DependentSchemas)
	deps := make([]schema.ValidateFunc, len(depNames))
	for i, n := range depNames {
		deps[i] = it.fn(s.DependentSchemas[n])
	}
	var propNames schema.ValidateFunc
	if s.PropertyNames != nil {
		propNames = it.fn(s.PropertyNames)
	}
	return func(c *schema.Checker, p string, v any) {
		x, ok := v.(map[string]any)
		if !ok {
			return
		}
		if len(s.Required) > 0 {
			c.Required(p, x, s.Required...)
		}
		for _, k := range depReq {
			c.DependentRequired(p, x, k, s.DependentRequired[k]...)
		}
		for i, n := range names {
			if y, ok := x[n]; ok {
				props[i](c, schema.Ptr(p, n), y)
			}
		}
		for i, re := range res {
			c.PatternProps(p, x, re, pprops[i])
		}
		if closed {
			c.NoExtra(p, x, isKnown)
		} else if extra != nil {
			c.Extra(p, x, isKnown, extra)
		}
		if s.MinProps > 0 || s.MaxProps != nil {
			c.PropCount(p, x, optU(&s.MinProps), optU(s.MaxProps))
		}
		if propNames != nil {
			c.PropertyNames(p, x, propNames)
		}
		for i, n := range depNames {
			if _, ok := x[n]; ok {
				deps[i](c, p, v)
			}
		}
	}
}

func (it *interpreter) array(s *openapi3.Schema) schema.ValidateFunc {
	if s.Items == nil && len(s.PrefixItems) == 0 && s.Contains == nil && s.MinItems == 0 && s.MaxItems == nil && !s.UniqueItems {
		return nil
	}
	prefix := it.list(s.PrefixItems)
	items := it.opt(s.Items)
	contains := it.opt(s.Contains)
	lo, hi := 1, -1
	if s.MinContains != nil {
		lo = optU(s.MinContains)
	}
	if s.MaxContains != nil {
		hi = optU(s.MaxContains)
	}
	return func(c *schema.Checker, p string, v any) {
		x, ok := v.([]any)
		if !ok {
			return
		}
		if s.MinItems > 0 || s.MaxItems != nil {
			c.ItemCount(p, x, optU(&s.MinItems), optU(s.MaxItems))
		}
		if s.UniqueItems {
			c.Unique(p, x)
		}
		for i, f := range prefix {
			if i < len(x) {
				f(c, schema.Index(p, i), x[i])
			}
		}
		if items != nil {
			c.Items(p, x, len(prefix), items)
		}
		if contains != nil {
			c.Contains(p, x, contains, lo, hi)
		}
	}
}

func (it *interpreter) str(s *openapi3.Schema) schema.ValidateFunc {
	var re *regexp.Regexp
	if s.Pattern != "" {
		re = it.re(s.Pattern)
	}
	format := s.Format != "" && schema.KnownFormat(s.Format)
	if s.MinLength == 0 && s.MaxLength == nil && re == nil && !format {
		return nil
	}
	return func(c *schema.Checker, p string, v any) {
		x, ok := v.(string)
		if !ok {
			return
		}
		if s.MinLength > 0 || s.MaxLength != nil {
			c.Length(p, x, optU(&s.MinLength), optU(s.MaxLength))
		}
		if re != nil {
			c.Pattern(p, x, re, s.Pattern)
		}
		if format {
			c.Format(p, x, s.Format)
		}
	}
}

func (it *interpreter) number(s *openapi3.Schema) schema.ValidateFunc {
	if s.Min == nil && s.Max == nil && s.ExclusiveMin.Value == nil && s.ExclusiveMax.Value == nil && s.MultipleOf == nil {
		return nil
	}
	return func(c *schema.Checker, p string, v any) {
		x, ok := v.(json.Number)
		if !ok {
			return
		}
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

// unevaluated returns the check of unevaluatedProperties and
// unevaluatedItems, nil when s constrains neither.
func (it *interpreter) unevaluated(s *openapi3.Schema) schema.ValidateFunc {
	propsOn, props := it.unevalFunc(s.UnevaluatedProperties)
	itemsOn, items := it.unevalFunc(s.UnevaluatedItems)
	if !propsOn && !itemsOn {
		return nil
	}
	core := it.annotator(s, true)
	return func(c *schema.Checker, p string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if propsOn {
				e := &schema.Evaluated{}
				core(c, p, v, e)
				c.UnevaluatedProps(p, x, e, props)
			}
		case []any:
			if itemsOn {
				e := &schema.Evaluated{}
				core(c, p, v, e)
				c.UnevaluatedItems(p, x, e, items)
			}
		}
	}
}

// unevalFunc reads an unevaluated* keyword: on is false when it constrains
// nothing (absent or true); f is nil for false.
func (it *interpreter) unevalFunc(b openapi3.BoolSchema) (on bool, f schema.ValidateFunc) {
	if b.Has != nil {
		return !*b.Has, nil
	}
	if b.Schema == nil || b.Schema.Value == nil {
		return false, nil
	}
	if a := b.Schema.Value.Always; a != nil {
		return !*a, nil
	}
	return true, it.fn(b.Schema)
}

// ann returns the annotation collector of sr (what it evaluates in place).
func (it *interpreter) ann(sr *openapi3.SchemaRef) schema.AnnotateFunc {
	if sr == nil || sr.Value == nil || sr.Value.Always != nil {
		return schema.NoAnnotations
	}
	s := sr.Value
	if f, ok := it.anns[s]; ok {
		return f
	}
	var built schema.AnnotateFunc
	it.anns[s] = func(c *schema.Checker, p string, v any, e *schema.Evaluated) { built(c, p, v, e) }
	built = it.annotator(s, false)
	it.anns[s] = built
	return built
}

// annotator builds the annotation collector of s; self leaves out s's own
// unevaluated* keywords (the collector unevaluated* itself runs).
func (it *interpreter) annotator(s *openapi3.Schema, self bool) schema.AnnotateFunc {
	var steps []schema.AnnotateFunc
	step := func(f schema.AnnotateFunc) { steps = append(steps, f) }
	if names := sortedSchemaNames(s.Properties); len(names) > 0 {
		step(func(_ *schema.Checker, _ string, _ any, e *schema.Evaluated) { e.Props(names...) })
	}
	for _, pat := range sortedSchemaNames(s.PatternProperties) {
		re := it.re(pat)
		step(func(_ *schema.Checker, _ string, v any, e *schema.Evaluated) { e.PatternProps(v, re) })
	}
	if s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil || (!self && hasUneval(s.UnevaluatedProperties)) {
		step(func(_ *schema.Checker, _ string, _ any, e *schema.Evaluated) { e.AllProps() })
	}
	if n := len(s.PrefixItems); n > 0 {
		step(func(_ *schema.Checker, _ string, _ any, e *schema.Evaluated) { e.Prefix(n) })
	}
	if s.Items != nil || (!self && hasUneval(s.UnevaluatedItems)) {
		step(func(_ *schema.Checker, _ string, _ any, e *schema.Evaluated) { e.AllItems() })
	}
	if s.Contains != nil {
		f := it.fn(s.Contains)
		step(func(c *schema.Checker, p string, v any, e *schema.Evaluated) { c.EvalContains(p, v, f, e) })
	}
	for _, x := range s.AllOf {
		step(it.ann(x))
	}
	for _, x := range append(append(openapi3.SchemaRefs{}, s.AnyOf...), s.OneOf...) {
		f, a := it.fn(x), it.ann(x)
		step(func(c *schema.Checker, p string, v any, e *schema.Evaluated) {
			if c.Passes(p, v, f) {
				a(c, p, v, e)
			}
		})
	}
	if s.If != nil {
		f, a, then, els := it.fn(s.If), it.ann(s.If), it.ann(s.Then), it.ann(s.Else)
		step(func(c *schema.Checker, p string, v any, e *schema.Evaluated) {
			if c.Passes(p, v, f) {
				a(c, p, v, e)
				then(c, p, v, e)
			} else {
				els(c, p, v, e)
			}
		})
	}
	for _, n := range sortedSchemaNames(s.DependentSchemas) {
		a := it.ann(s.DependentSchemas[n])
		step(func(c *schema.Checker, p string, v any, e *schema.Evaluated) {
			if o, ok := v.(map[string]any); ok {
				if _, ok := o[n]; ok {
					a(c, p, v, e)
				}
			}
		})
	}
	return func(c *schema.Checker, p string, v any, e *schema.Evaluated) {
		for _, f := range steps {
			f(c, p, v, e)
		}
	}
}

// hasUneval reports whether an unevaluated* keyword is present at all.
func hasUneval(b openapi3.BoolSchema) bool { return b.Has != nil || b.Schema != nil }

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

// Validator returns the interpreted validator of the schema sr of doc: the
// function a dynamic family runs for it, with the semantics of the compiled
// validators.
func Validator(doc *openapi3.T, sr *openapi3.SchemaRef) schema.ValidateFunc {
	return newInterpreter(doc).fn(sr)
}

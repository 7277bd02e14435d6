package generator

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/hookgen/hookgen/runtime/schema"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// validatorGen compiles JSON Schemas into Go functions of the form
// func(c *schema.Checker, p string, v any), one per component schema and
// per inline sub-schema. Named components are emitted once and referenced
// by name, so recursive schemas compile to recursive functions.
type validatorGen struct {
	doc     *openapi3.T
	byRef   map[string]string
	byPtr   map[*openapi3.Schema]string
	used    map[string]bool
	funcs   []string
	bodies  map[string]string
	regexps []string
	reIdx   map[string]int
	// leaves maps a leaf validator's body to its function; sharedBy lists,
	// per shared function, the schemas that reuse it.
	leaves   map[string]string
	sharedBy map[string][]string
	// anns maps a schema to its annotation collector (for unevaluated*).
	anns map[*openapi3.Schema]string
}

func newValidatorGen(doc *openapi3.T) *validatorGen {
	return &validatorGen{doc: doc, byRef: map[string]string{}, byPtr: map[*openapi3.Schema]string{}, used: map[string]bool{}, bodies: map[string]string{}, reIdx: map[string]int{}, leaves: map[string]string{}, sharedBy: map[string][]string{}, anns: map[*openapi3.Schema]string{}}
}

// fn returns the name of the validator function for sr, emitting it (and
// everything it needs) on first use. hint names inline schemas.
func (g *validatorGen) fn(sr *openapi3.SchemaRef, hint string) string {
	if sr == nil || sr.Value == nil {
		return "validateAny"
	}
	if a := sr.Value.Always; a != nil {
		if *a {
			return "validateAny"
		}
		return "schema.Nothing"
	}
	if sr.Ref != "" {
		if name, ok := g.byRef[sr.Ref]; ok {
			return name
		}
		name := g.unique("validate" + codegen.SchemaNameToTypeName(refName(sr.Ref)))
		g.byRef[sr.Ref] = name
		name = g.emit(name, sr.Value)
		g.byRef[sr.Ref] = name
		return name
	}
	if name, ok := g.byPtr[sr.Value]; ok {
		return name
	}
	name := g.unique(hint)
	g.byPtr[sr.Value] = name
	name = g.emit(name, sr.Value)
	g.byPtr[sr.Value] = name
	return name
}

func (g *validatorGen) unique(base string) string {
	if base == "" {
		base = "validateInline"
	}
	name := base
	for i := 2; g.used[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	g.used[name] = true
	return name
}

func (g *validatorGen) re(pattern string) string {
	if i, ok := g.reIdx[pattern]; ok {
		return "pattern" + strconv.Itoa(i)
	}
	i := len(g.regexps)
	g.reIdx[pattern] = i
	g.regexps = append(g.regexps, pattern)
	return "pattern" + strconv.Itoa(i)
}

// emit writes the validator of s under name and returns the name callers
// use. A leaf validator (one that calls no other generated validator, so no
// recursion can have seen its name yet) identical to one already emitted is
// dropped in favour of that one: the many "a string" or "an array of
// strings" properties of a spec share one function.
func (g *validatorGen) emit(name string, s *openapi3.Schema) string {
	n := len(g.funcs)
	g.funcs = append(g.funcs, name)
	g.bodies[name] = "" // reserve (recursion)
	var b strings.Builder
	g.body(&b, name, s)
	body := b.String()
	if len(g.funcs) == n+1 {
		if first, ok := g.leaves[body]; ok {
			g.funcs = g.funcs[:n]
			delete(g.bodies, name)
			g.sharedBy[first] = append(g.sharedBy[first], name)
			return first
		}
		g.leaves[body] = name
	}
	g.bodies[name] = fmt.Sprintf("func %s(c *schema.Checker, p string, v any) {\n%s}\n", name, body)
	return name
}

func (g *validatorGen) sub(parent, suffix string, sr *openapi3.SchemaRef) string {
	return g.fn(sr, parent+"_"+suffix)
}

func (g *validatorGen) body(b *strings.Builder, name string, s *openapi3.Schema) {
	types := []string{}
	if s.Type != nil {
		types = s.Type.Slice()
	}
	// nullable is OpenAPI 3.0's: null passes and skips every other keyword.
	// A 3.1 type list naming "null" is plain JSON Schema: null is one more
	// type, and enum, const and the rest still apply to it.
	if s.Nullable {
		b.WriteString("\tif v == nil {\n\t\treturn\n\t}\n")
	}
	if len(types) > 0 {
		conds := make([]string, len(types))
		for i, t := range types {
			conds[i] = fmt.Sprintf("schema.HasType(v, %q)", t)
			if t == "null" {
				conds[i] = "v == nil"
			}
		}
		want := types
		if s.Nullable && !contains(types, "null") {
			want = append(append([]string{}, types...), "null")
		}
		fmt.Fprintf(b, "\tif !(%s) {\n\t\tc.TypeError(p, v, %s)\n\t\treturn\n\t}\n", strings.Join(conds, " || "), quoteAll(want))
	}
	for i, sub := range s.AllOf {
		fmt.Fprintf(b, "\t%s(c, p, v)\n", g.sub(name, "allOf"+strconv.Itoa(i), sub))
	}
	if s.Discriminator != nil && len(unionOf(s)) > 0 {
		g.discriminator(b, name, s)
	} else {
		if len(s.OneOf) > 0 {
			fmt.Fprintf(b, "\tc.OneOf(p, v, %s)\n", g.list(name, "oneOf", s.OneOf))
		}
		if len(s.AnyOf) > 0 {
			fmt.Fprintf(b, "\tc.AnyOf(p, v, %s)\n", g.list(name, "anyOf", s.AnyOf))
		}
	}
	if s.Not != nil {
		fmt.Fprintf(b, "\tc.Not(p, v, %s)\n", g.sub(name, "not", s.Not))
	}
	if s.If != nil && (s.Then != nil || s.Else != nil) {
		fmt.Fprintf(b, "\tc.IfThenElse(p, v, %s, %s, %s)\n", g.sub(name, "if", s.If), g.optSub(name, "then", s.Then), g.optSub(name, "else", s.Else))
	}
	if s.Enum != nil {
		allStrings := true
		for _, e := range s.Enum {
			if _, ok := e.(string); !ok {
				allStrings = false
			}
		}
		if allStrings && len(s.Enum) > 0 {
			vals := make([]string, len(s.Enum))
			for i, e := range s.Enum {
				vals[i] = e.(string)
			}
			fmt.Fprintf(b, "\tif x, ok := v.(string); ok {\n\t\tc.EnumString(p, x, %s)\n\t} else {\n\t\tc.EnumAny(p, v, %s)\n\t}\n", quoteAll(vals), quoteAll(canonAll(s.Enum)))
		} else {
			fmt.Fprintf(b, "\tc.EnumAny(p, v, %s)\n", quoteAll(canonAll(s.Enum)))
		}
	}
	if s.Const != nil {
		fmt.Fprintf(b, "\tc.Const(p, v, %q)\n", schema.Canon(s.Const))
	}
	g.objectChecks(b, name, s)
	g.arrayChecks(b, name, s)
	g.stringChecks(b, s)
	g.numberChecks(b, s)
	g.unevaluatedChecks(b, name, s)
}

// unevaluatedChecks emits unevaluatedProperties and unevaluatedItems: the
// annotations of s's own keywords and in-place sub-schemas are collected,
// then what they leave out is validated.
func (g *validatorGen) unevaluatedChecks(b *strings.Builder, name string, s *openapi3.Schema) {
	propsOn, props := g.unevalFunc(name, "unevaluatedProperties", s.UnevaluatedProperties)
	itemsOn, items := g.unevalFunc(name, "unevaluatedItems", s.UnevaluatedItems)
	if !propsOn && !itemsOn {
		return
	}
	b.WriteString("\tswitch x := v.(type) {\n")
	if propsOn {
		b.WriteString("\tcase map[string]any:\n\t\te := &schema.Evaluated{}\n")
		g.annBody(b, name, s, true, "\t\t")
		fmt.Fprintf(b, "\t\tc.UnevaluatedProps(p, x, e, %s)\n", props)
	}
	if itemsOn {
		b.WriteString("\tcase []any:\n\t\te := &schema.Evaluated{}\n")
		g.annBody(b, name, s, true, "\t\t")
		fmt.Fprintf(b, "\t\tc.UnevaluatedItems(p, x, e, %s)\n", items)
	}
	b.WriteString("\t}\n")
}

// unevalFunc reads an unevaluated* keyword: on is false when it constrains
// nothing (absent or true); fn is "nil" for false.
func (g *validatorGen) unevalFunc(name, kw string, bs openapi3.BoolSchema) (on bool, fn string) {
	if bs.Has != nil {
		return !*bs.Has, "nil"
	}
	if bs.Schema == nil || bs.Schema.Value == nil {
		return false, ""
	}
	if a := bs.Schema.Value.Always; a != nil {
		return !*a, "nil"
	}
	return true, g.sub(name, kw, bs.Schema)
}

// ann returns the name of the annotation collector of sr, emitting it on
// first use.
func (g *validatorGen) ann(sr *openapi3.SchemaRef, hint string) string {
	if sr == nil || sr.Value == nil || sr.Value.Always != nil {
		return "schema.NoAnnotations"
	}
	if name, ok := g.anns[sr.Value]; ok {
		return name
	}
	name := g.unique("annotate" + strings.TrimPrefix(g.fn(sr, hint), "validate"))
	g.anns[sr.Value] = name
	g.funcs = append(g.funcs, name)
	g.bodies[name] = ""
	var b strings.Builder
	g.annBody(&b, name, sr.Value, false, "\t")
	g.bodies[name] = fmt.Sprintf("func %s(c *schema.Checker, p string, v any, e *schema.Evaluated) {\n%s}\n", name, b.String())
	return name
}

// annBody writes the statements collecting into e what s evaluates in
// place; self leaves out s's own unevaluated* keywords.
func (g *validatorGen) annBody(b *strings.Builder, name string, s *openapi3.Schema, self bool, ind string) {
	if names := sortedSchemaNames(s.Properties); len(names) > 0 {
		fmt.Fprintf(b, "%se.Props(%s)\n", ind, quoteAll(names))
	}
	for _, pat := range sortedSchemaNames(s.PatternProperties) {
		fmt.Fprintf(b, "%se.PatternProps(v, %s)\n", ind, g.re(pat))
	}
	if s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil || (!self && hasUneval(s.UnevaluatedProperties)) {
		fmt.Fprintf(b, "%se.AllProps()\n", ind)
	}
	if n := len(s.PrefixItems); n > 0 {
		fmt.Fprintf(b, "%se.Prefix(%d)\n", ind, n)
	}
	if s.Items != nil || (!self && hasUneval(s.UnevaluatedItems)) {
		fmt.Fprintf(b, "%se.AllItems()\n", ind)
	}
	if s.Contains != nil {
		fmt.Fprintf(b, "%sc.EvalContains(p, v, %s, e)\n", ind, g.sub(name, "contains", s.Contains))
	}
	call := func(a string) {
		if a != "schema.NoAnnotations" {
			fmt.Fprintf(b, "%s\t%s(c, p, v, e)\n", ind, a)
		}
	}
	for i, x := range s.AllOf {
		if a := g.ann(x, name+"_allOf"+strconv.Itoa(i)); a != "schema.NoAnnotations" {
			fmt.Fprintf(b, "%s%s(c, p, v, e)\n", ind, a)
		}
	}
	for _, group := range []struct {
		kw   string
		refs openapi3.SchemaRefs
	}{{"anyOf", s.AnyOf}, {"oneOf", s.OneOf}} {
		for i, x := range group.refs {
			hint := name + "_" + group.kw + strconv.Itoa(i)
			if a := g.ann(x, hint); a != "schema.NoAnnotations" {
				fmt.Fprintf(b, "%sif c.Passes(p, v, %s) {\n", ind, g.fn(x, hint))
				call(a)
				fmt.Fprintf(b, "%s}\n", ind)
			}
		}
	}
	if s.If != nil {
		fmt.Fprintf(b, "%sif c.Passes(p, v, %s) {\n", ind, g.sub(name, "if", s.If))
		call(g.ann(s.If, name+"_if"))
		call(g.ann(s.Then, name+"_then"))
		fmt.Fprintf(b, "%s} else {\n", ind)
		call(g.ann(s.Else, name+"_else"))
		fmt.Fprintf(b, "%s}\n", ind)
	}
	for i, k := range sortedSchemaNames(s.DependentSchemas) {
		if a := g.ann(s.DependentSchemas[k], name+"_dependent"+strconv.Itoa(i)); a != "schema.NoAnnotations" {
			fmt.Fprintf(b, "%sif o, ok := v.(map[string]any); ok {\n%s\tif _, ok := o[%q]; ok {\n%s\t\t%s(c, p, v, e)\n%s\t}\n%s}\n", ind, ind, k, ind, a, ind, ind)
		}
	}
}

// optSub is sub for an optional sub-schema: "nil" when it is absent.
func (g *validatorGen) optSub(parent, suffix string, sr *openapi3.SchemaRef) string {
	if sr == nil {
		return "nil"
	}
	return g.sub(parent, suffix, sr)
}

func (g *validatorGen) list(name, kw string, refs openapi3.SchemaRefs) string {
	fns := make([]string, len(refs))
	for i, r := range refs {
		fns[i] = g.sub(name, kw+strconv.Itoa(i), r)
	}
	return strings.Join(fns, ", ")
}

func (g *validatorGen) discriminator(b *strings.Builder, name string, s *openapi3.Schema) {
	d := s.Discriminator
	prop := d.PropertyName
	type arm struct {
		vals []string
		fn   string
	}
	var arms []arm
	if len(d.Mapping) > 0 {
		vals := make([]string, 0, len(d.Mapping))
		for v := range d.Mapping {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		idx := map[string]int{}
		for _, v := range vals {
			ref := d.Mapping[v].Ref
			var target *openapi3.SchemaRef
			for _, u := range unionOf(s) {
				if u.Ref == ref {
					target = u
				}
			}
			if target == nil {
				if c, ok := g.doc.Components.Schemas[refName(ref)]; ok {
					target = &openapi3.SchemaRef{Ref: ref, Value: c.Value}
				}
			}
			fn := g.fn(target, name+"_"+codegen.SchemaNameToTypeName(refName(ref)))
			if i, ok := idx[fn]; ok {
				arms[i].vals = append(arms[i].vals, v)
				continue
			}
			idx[fn] = len(arms)
			arms = append(arms, arm{vals: []string{v}, fn: fn})
		}
	} else {
		for i, u := range unionOf(s) {
			arms = append(arms, arm{vals: []string{refName(u.Ref)}, fn: g.sub(name, "oneOf"+strconv.Itoa(i), u)})
		}
	}
	fmt.Fprintf(b, "\tif x, ok := v.(map[string]any); ok {\n")
	fmt.Fprintf(b, "\t\tdp := schema.Ptr(p, %q)\n", prop)
	fmt.Fprintf(b, "\t\tswitch d, ok := x[%q].(string); {\n", prop)
	fmt.Fprintf(b, "\t\tcase !ok:\n\t\t\tc.Discriminator(dp, x[%q])\n", prop)
	for _, a := range arms {
		conds := make([]string, len(a.vals))
		for i, v := range a.vals {
			conds[i] = fmt.Sprintf("d == %q", v)
		}
		fmt.Fprintf(b, "\t\tcase %s:\n\t\t\t%s(c, p, v)\n", strings.Join(conds, " || "), a.fn)
	}
	all := []string{}
	for _, a := range arms {
		all = append(all, a.vals...)
	}
	fmt.Fprintf(b, "\t\tdefault:\n\t\t\tc.EnumString(dp, d, %s)\n\t\t}\n\t}\n", quoteAll(all))
}

func (g *validatorGen) objectChecks(b *strings.Builder, name string, s *openapi3.Schema) {
	names := sortedSchemaNames(s.Properties)
	patterns := sortedSchemaNames(s.PatternProperties)
	closed := s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has
	extra := s.AdditionalProperties.Schema
	if extra != nil && extra.Value != nil && extra.Value.Always != nil {
		closed, extra = !*extra.Value.Always, nil
	}
	if len(names) == 0 && len(patterns) == 0 && len(s.Required) == 0 && !closed && extra == nil && s.MinProps == 0 && s.MaxProps == nil &&
		len(s.DependentRequired) == 0 && len(s.DependentSchemas) == 0 && s.PropertyNames == nil {
		return
	}
	outer := b
	b = &strings.Builder{}
	if len(s.Required) > 0 {
		fmt.Fprintf(b, "\t\tc.Required(p, x, %s)\n", quoteAll(s.Required))
	}
	for _, k := range sortedKeys(s.DependentRequired) {
		args := append([]string{k}, s.DependentRequired[k]...)
		fmt.Fprintf(b, "\t\tc.DependentRequired(p, x, %s)\n", quoteAll(args))
	}
	for _, n := range names {
		fn := g.sub(name, codegen.SchemaNameToTypeName(n), s.Properties[n])
		if fn == "validateAny" {
			continue
		}
		fmt.Fprintf(b, "\t\tif y, ok := x[%q]; ok {\n\t\t\t%s(c, schema.Ptr(p, %q), y)\n\t\t}\n", n, fn, n)
	}
	for i, pat := range patterns {
		if fn := g.sub(name, "pattern"+strconv.Itoa(i), s.PatternProperties[pat]); fn != "validateAny" {
			fmt.Fprintf(b, "\t\tc.PatternProps(p, x, %s, %s)\n", g.re(pat), fn)
		}
	}
	if closed || extra != nil {
		var known strings.Builder
		known.WriteString("func(k string) bool {\n")
		if len(names) > 0 {
			fmt.Fprintf(&known, "\t\t\tswitch k {\n\t\t\tcase %s:\n\t\t\t\treturn true\n\t\t\t}\n", quoteAll(names))
		}
		res := make([]string, len(patterns))
		for i, pat := range patterns {
			res[i] = g.re(pat) + ".MatchString(k)"
		}
		if len(res) == 0 {
			res = []string{"false"}
		}
		fmt.Fprintf(&known, "\t\t\treturn %s\n\t\t}", strings.Join(res, " || "))
		if closed {
			fmt.Fprintf(b, "\t\tc.NoExtra(p, x, %s)\n", known.String())
		} else {
			fmt.Fprintf(b, "\t\tc.Extra(p, x, %s, %s)\n", known.String(), g.sub(name, "additional", extra))
		}
	}
	if s.MinProps > 0 || s.MaxProps != nil {
		fmt.Fprintf(b, "\t\tc.PropCount(p, x, %d, %d)\n", s.MinProps, optU(s.MaxProps))
	}
	if s.PropertyNames != nil {
		fmt.Fprintf(b, "\t\tc.PropertyNames(p, x, %s)\n", g.sub(name, "propertyNames", s.PropertyNames))
	}
	for i, k := range sortedSchemaNames(s.DependentSchemas) {
		fmt.Fprintf(b, "\t\tif _, ok := x[%q]; ok {\n\t\t\t%s(c, p, v)\n\t\t}\n", k, g.sub(name, "dependent"+strconv.Itoa(i), s.DependentSchemas[k]))
	}
	if b.Len() > 0 {
		fmt.Fprintf(outer, "\tif x, ok := v.(map[string]any); ok {\n%s\t}\n", b.String())
	}
}

func (g *validatorGen) arrayChecks(b *strings.Builder, name string, s *openapi3.Schema) {
	if s.Items == nil && len(s.PrefixItems) == 0 && s.Contains == nil && s.MinItems == 0 && s.MaxItems == nil && !s.UniqueItems {
		return
	}
	outer := b
	b = &strings.Builder{}
	if s.MinItems > 0 || s.MaxItems != nil {
		fmt.Fprintf(b, "\t\tc.ItemCount(p, x, %d, %d)\n", s.MinItems, optU(s.MaxItems))
	}
	if s.UniqueItems {
		b.WriteString("\t\tc.Unique(p, x)\n")
	}
	for i, sr := range s.PrefixItems {
		if fn := g.sub(name, "Item"+strconv.Itoa(i), sr); fn != "validateAny" {
			fmt.Fprintf(b, "\t\tif len(x) > %d {\n\t\t\t%s(c, schema.Index(p, %d), x[%d])\n\t\t}\n", i, fn, i, i)
		}
	}
	if s.Items != nil {
		if fn := g.sub(name, "Item", s.Items); fn != "validateAny" {
			if len(s.PrefixItems) == 0 {
				fmt.Fprintf(b, "\t\tfor i, y := range x {\n\t\t\t%s(c, schema.Index(p, i), y)\n\t\t}\n", fn)
			} else {
				fmt.Fprintf(b, "\t\tc.Items(p, x, %d, %s)\n", len(s.PrefixItems), fn)
			}
		}
	}
	if s.Contains != nil {
		lo, hi := 1, -1
		if s.MinContains != nil {
			lo = optU(s.MinContains)
		}
		if s.MaxContains != nil {
			hi = optU(s.MaxContains)
		}
		fmt.Fprintf(b, "\t\tc.Contains(p, x, %s, %d, %d)\n", g.sub(name, "contains", s.Contains), lo, hi)
	}
	if b.Len() == 0 {
		b.WriteString("\t\t_ = x\n")
	}
	fmt.Fprintf(outer, "\tif x, ok := v.([]any); ok {\n%s\t}\n", b.String())
}

func sortedSchemaNames(m openapi3.Schemas) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (g *validatorGen) stringChecks(b *strings.Builder, s *openapi3.Schema) {
	var lines []string
	if s.MinLength > 0 || s.MaxLength != nil {
		lines = append(lines, fmt.Sprintf("c.Length(p, x, %d, %d)", s.MinLength, optU(s.MaxLength)))
	}
	if s.Pattern != "" {
		lines = append(lines, fmt.Sprintf("c.Pattern(p, x, %s, %q)", g.re(s.Pattern), s.Pattern))
	}
	if s.Format != "" && schema.KnownFormat(s.Format) {
		lines = append(lines, fmt.Sprintf("c.Format(p, x, %q)", s.Format))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "\tif x, ok := v.(string); ok {\n\t\t%s\n\t}\n", strings.Join(lines, "\n\t\t"))
}

func (g *validatorGen) numberChecks(b *strings.Builder, s *openapi3.Schema) {
	var lines []string
	if s.Min != nil || s.Max != nil {
		lines = append(lines, fmt.Sprintf("c.Bounds(p, x, %s, %s, %t, %t)", optF(s.Min), optF(s.Max), s.ExclusiveMin.IsTrue(), s.ExclusiveMax.IsTrue()))
	}
	if s.ExclusiveMin.Value != nil {
		lines = append(lines, fmt.Sprintf("c.Bounds(p, x, %s, nil, true, false)", optF(s.ExclusiveMin.Value)))
	}
	if s.ExclusiveMax.Value != nil {
		lines = append(lines, fmt.Sprintf("c.Bounds(p, x, nil, %s, false, true)", optF(s.ExclusiveMax.Value)))
	}
	if s.MultipleOf != nil {
		lines = append(lines, fmt.Sprintf("c.MultipleOf(p, x, %s)", fmtFloat(*s.MultipleOf)))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "\tif x, ok := v.(json.Number); ok {\n\t\t%s\n\t}\n", strings.Join(lines, "\n\t\t"))
}

// render returns the validator source (without package clause) and the
// imports it needs.
func (g *validatorGen) render() (string, []string) {
	var b strings.Builder
	imports := []string{}
	for i, p := range g.regexps {
		fmt.Fprintf(&b, "var pattern%d = regexp.MustCompile(%q)\n", i, p)
	}
	if len(g.regexps) > 0 {
		imports = append(imports, "regexp")
		b.WriteString("\n")
	}
	b.WriteString("// validateAny accepts every value (a schema without constraints).\nfunc validateAny(c *schema.Checker, p string, v any) {}\n\n")
	for _, f := range g.funcs {
		if users := g.sharedBy[f]; len(users) > 0 {
			fmt.Fprintf(&b, "// %s also validates the identical schemas of %s.\n", f, strings.Join(users, ", "))
		}
		b.WriteString(g.bodies[f])
		b.WriteString("\n")
	}
	src := b.String()
	if strings.Contains(src, "json.Number") {
		imports = append(imports, "encoding/json")
	}
	sort.Strings(imports)
	return src, imports
}

func quoteAll(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

func canonAll(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = schema.Canon(x)
	}
	return out
}

func optU(p *uint64) int {
	if p == nil {
		return -1
	}
	if *p > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(*p)
}

func optF(p *float64) string {
	if p == nil {
		return "nil"
	}
	return "schema.F(" + fmtFloat(*p) + ")"
}

func fmtFloat(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// hasUneval reports whether an unevaluated* keyword is present at all.
func hasUneval(b openapi3.BoolSchema) bool { return b.Has != nil || b.Schema != nil }

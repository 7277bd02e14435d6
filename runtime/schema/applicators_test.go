package schema_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/schema"
)

func parse(t *testing.T, s string) any {
	t.Helper()
	v, ferr := schema.Parse([]byte(s))
	require.Nil(t, ferr)
	return v
}

func rules(c *schema.Checker) []string {
	out := make([]string, len(c.Errors))
	for i, e := range c.Errors {
		out[i] = e.Pointer + " " + e.Rule
	}
	return out
}

func TestNothing(t *testing.T) {
	c := &schema.Checker{}
	schema.Nothing(c, "/a", nil)
	assert.Equal(t, []string{"/a false"}, rules(c))
}

func TestIfThenElse(t *testing.T) {
	isInt := func(c *schema.Checker, p string, v any) {
		if !schema.HasType(v, "integer") {
			c.TypeError(p, v, "integer")
		}
	}
	positive := func(c *schema.Checker, p string, v any) {
		if n, ok := v.(json.Number); ok {
			c.Bounds(p, n, schema.F(1), nil, false, false)
		}
	}
	for _, tc := range []struct {
		v          string
		then, els  schema.ValidateFunc
		wantRules  []string
		wantReason string
	}{
		{"5", positive, nil, []string{}, "if passes, then passes"},
		{"-5", positive, nil, []string{" minimum"}, "if passes, then fails"},
		{`"x"`, positive, nil, []string{}, "if fails, no else"},
		{`"x"`, nil, schema.Nothing, []string{" false"}, "if fails, else fails"},
		{"-5", nil, schema.Nothing, []string{}, "if passes, no then; if's own findings never show"},
	} {
		c := &schema.Checker{Strict: true}
		c.IfThenElse("", parse(t, tc.v), isInt, tc.then, tc.els)
		assert.Equal(t, tc.wantRules, rules(c), tc.wantReason)
	}
}

func TestDependentRequired(t *testing.T) {
	o := parse(t, `{"bar": 1}`).(map[string]any)
	c := &schema.Checker{}
	c.DependentRequired("/o", o, "bar", "foo", "baz")
	assert.Equal(t, []string{"/o/foo dependentRequired", "/o/baz dependentRequired"}, rules(c))
	c = &schema.Checker{}
	c.DependentRequired("/o", o, "quux", "foo")
	assert.True(t, c.OK(), "no trigger, no requirement")
}

func TestPatternPropsAndPropertyNames(t *testing.T) {
	o := parse(t, `{"x-a": "s", "x-b": 1, "y": true, "a/b": 1}`).(map[string]any)
	c := &schema.Checker{}
	c.PatternProps("", o, regexp.MustCompile(`^x-`), isString)
	assert.Equal(t, []string{"/x-b type"}, rules(c))

	short := func(c *schema.Checker, p string, v any) { c.Length(p, v.(string), 0, 1) }
	c = &schema.Checker{}
	c.PropertyNames("", o, short)
	assert.Equal(t, []string{"/a~1b propertyNames", "/x-a propertyNames", "/x-b propertyNames"}, rules(c))
}

func TestItemsAndContains(t *testing.T) {
	a := parse(t, `["a", 1, "b", 2, 3]`).([]any)
	c := &schema.Checker{}
	c.Items("/l", a, 2, isString)
	assert.Equal(t, []string{"/l/3 type", "/l/4 type"}, rules(c), "items starts after the prefix")

	for _, tc := range []struct {
		lo, hi int
		want   []string
	}{
		{1, -1, []string{}},
		{2, 2, []string{}},
		{3, -1, []string{"/l minContains"}},
		{1, 1, []string{"/l maxContains"}},
		{0, 0, []string{"/l maxContains"}},
	} {
		c := &schema.Checker{}
		c.Contains("/l", a, isString, tc.lo, tc.hi)
		assert.Equal(t, tc.want, rules(c), "lo=%d hi=%d", tc.lo, tc.hi)
	}
	c = &schema.Checker{}
	c.Contains("/l", []any{}, isString, 1, -1)
	assert.Equal(t, []string{"/l contains"}, rules(c))
	c = &schema.Checker{}
	c.Contains("/l", []any{}, isString, 0, -1)
	assert.True(t, c.OK(), "minContains 0 accepts an empty array")
}

func TestMultipleOfExact(t *testing.T) {
	for _, tc := range []struct {
		n    string
		m    float64
		want bool
	}{
		{"0.0075", 0.0001, true},
		{"0.00751", 0.0001, false},
		{"4.5", 1.5, true},
		{"35", 1.5, false},
		{"1e308", 0.123456789, false},
		{"12391239123", 0.01, true},
		{"1e-400", 1, false},
	} {
		c := &schema.Checker{}
		c.MultipleOf("", json.Number(tc.n), tc.m)
		assert.Equal(t, tc.want, c.OK(), "%s multipleOf %v", tc.n, tc.m)
	}
}

// A hostile exponent does not make multipleOf build a huge exact number.
func TestMultipleOfHostileExponent(t *testing.T) {
	start := time.Now()
	c := &schema.Checker{}
	c.MultipleOf("", json.Number("1e999999999"), 0.3)
	c.MultipleOf("", json.Number("1e-999999999"), 0.3)
	assert.Less(t, time.Since(start), time.Second)
}

func TestCanonDeep(t *testing.T) {
	assert.Equal(t, schema.Canon(parse(t, `{"a": [1.0, {"b": -0}]}`)), schema.Canon(map[string]any{"a": []any{float64(1), map[string]any{"b": float64(0)}}}))
	assert.NotEqual(t, schema.Canon(parse(t, `[false]`)), schema.Canon(parse(t, `[0]`)))
	assert.NotEqual(t, schema.Canon(parse(t, `{"a": "1"}`)), schema.Canon(parse(t, `{"a": 1}`)))
	c := &schema.Checker{}
	c.Unique("", parse(t, `[{"a": 1}, {"a": 1.0}]`).([]any))
	assert.Equal(t, []string{" uniqueItems"}, rules(c))
}

// ExampleChecker_Contains checks that between one and two tags are "urgent".
func ExampleChecker_Contains() {
	isUrgent := func(c *schema.Checker, p string, v any) { c.Const(p, v, schema.Canon("urgent")) }
	v, _ := schema.Parse([]byte(`["urgent", "low", "urgent", "urgent"]`))
	c := &schema.Checker{}
	c.Contains("/tags", v.([]any), isUrgent, 1, 2)
	fmt.Println(c.Errors)
	// Output: [/tags: 3 items match the contains schema, at most 2 allowed (maxContains)]
}

func TestUnevaluated(t *testing.T) {
	o := parse(t, `{"a": 1, "x-b": 2, "c": 3}`).(map[string]any)
	e := &schema.Evaluated{}
	e.Props("a")
	e.PatternProps(o, regexp.MustCompile(`^x-`))
	c := &schema.Checker{}
	c.UnevaluatedProps("/o", o, e, nil)
	assert.Equal(t, []string{"/o/c unevaluatedProperties"}, rules(c))
	c = &schema.Checker{}
	c.UnevaluatedProps("/o", o, e, isString)
	assert.Equal(t, []string{"/o/c type"}, rules(c), "a schema validates what is left")
	e.AllProps()
	c = &schema.Checker{}
	c.UnevaluatedProps("/o", o, e, nil)
	assert.True(t, c.OK())

	a := parse(t, `[1, "s", 2, "t", 3]`).([]any)
	e = &schema.Evaluated{}
	e.Prefix(1)
	c = &schema.Checker{}
	c.EvalContains("/l", a, isString, e)
	assert.True(t, c.OK(), "collecting annotations records no findings")
	c.UnevaluatedItems("/l", a, e, nil)
	assert.Equal(t, []string{"/l/2 unevaluatedItems", "/l/4 unevaluatedItems"}, rules(c))
	e.AllItems()
	c = &schema.Checker{}
	c.UnevaluatedItems("/l", a, e, nil)
	assert.True(t, c.OK())

	c = &schema.Checker{}
	assert.False(t, c.Passes("", 1, isString))
	assert.True(t, c.Passes("", "s", isString))
	assert.True(t, c.OK(), "Passes records nothing")
}

// A schema that evaluates the same value twice per nesting level costs
// 2^depth; the branch budget refuses such a payload in bounded time.
func TestBranchBudget(t *testing.T) {
	var twice schema.ValidateFunc
	twice = func(c *schema.Checker, p string, v any) {
		if a, ok := v.([]any); ok && len(a) > 0 {
			c.OneOf(schema.Index(p, 0), a[0], twice, twice)
		}
	}
	body := []byte(strings.Repeat("[", 60) + strings.Repeat("]", 60))
	start := time.Now()
	_, err := schema.Check(body, true, twice)
	require.Error(t, err)
	var ve *runtime.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "complexity", ve.Errors[len(ve.Errors)-1].Rule)
	assert.Less(t, time.Since(start), 10*time.Second)

	// A shallow payload stays well within the budget.
	_, err = schema.Check([]byte("[[[[]]]]"), true, func(c *schema.Checker, p string, v any) { c.Not(p, v, schema.Nothing) })
	require.NoError(t, err)
}

// The empty enum allows nothing: an error in strict mode, a warning in
// lenient mode like every enum mismatch.
func TestEmptyEnum(t *testing.T) {
	strict := &schema.Checker{Strict: true}
	strict.EnumAny("/e", "x")
	assert.Equal(t, []string{"/e enum"}, rules(strict))
	lenient := &schema.Checker{}
	lenient.EnumAny("/e", nil)
	assert.True(t, lenient.OK())
	assert.Len(t, lenient.Warnings, 1)
}

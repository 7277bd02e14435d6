package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookgen/hookgen/runtime"
)

// Checker accumulates validation findings for one payload. It is not safe
// for concurrent use; generated code creates one per delivery.
type Checker struct {
	// Strict turns soft findings (unknown enum values, unknown discriminator
	// values, bad formats) into errors.
	Strict bool
	// Errors are the findings that reject the payload.
	Errors []runtime.FieldError
	// Warnings are soft findings tolerated in lenient mode.
	Warnings []runtime.FieldError

	work *budget // shared with every sub-checker
}

// MaxBranchChecks bounds the branch evaluations (anyOf, oneOf, not, if,
// contains, propertyNames, unevaluated*) one payload may cost. A recursive
// schema that evaluates the same value twice per level costs 2^depth; past
// the bound the payload is refused with rule "complexity" instead of
// occupying the receiver.
const MaxBranchChecks = 1 << 20

type budget struct {
	left  int
	spent bool
}

// OK reports whether no error was recorded (and the branch budget was not
// spent).
func (c *Checker) OK() bool { return len(c.Errors) == 0 && (c.work == nil || !c.work.spent) }

// Spent reports whether the payload used up MaxBranchChecks; Check then
// refuses it with rule "complexity".
func (c *Checker) Spent() bool { return c.work != nil && c.work.spent }

// try runs validate on a fresh sub-checker and returns it; once the branch
// budget is spent it returns a failed sub-checker without running anything.
func (c *Checker) try(p string, v any, validate ValidateFunc) *Checker {
	s := c.Sub()
	if !s.Spent() {
		validate(s, p, v)
	}
	return s
}

// Fail records an error at pointer p for rule.
func (c *Checker) Fail(p, rule, msg string) {
	c.Errors = append(c.Errors, runtime.FieldError{Pointer: p, Rule: rule, Message: msg})
}

// Soft records an error in strict mode and a warning otherwise.
func (c *Checker) Soft(p, rule, msg string) {
	if c.Strict {
		c.Fail(p, rule, msg)
		return
	}
	c.Warnings = append(c.Warnings, runtime.FieldError{Pointer: p, Rule: rule, Message: msg})
}

// Sub returns an empty checker with the same mode, for trying oneOf/anyOf
// branches without polluting c.
func (c *Checker) Sub() *Checker {
	if c.work == nil {
		c.work = &budget{left: MaxBranchChecks}
	}
	if c.work.left--; c.work.left < 0 {
		c.work.spent = true
	}
	return &Checker{Strict: c.Strict, work: c.work}
}

// Merge copies the findings of a sub-checker into c.
func (c *Checker) Merge(s *Checker) {
	c.Errors = append(c.Errors, s.Errors...)
	c.Warnings = append(c.Warnings, s.Warnings...)
}

// Ptr appends one reference token to JSON pointer p, escaping ~ and / as
// RFC 6901 requires.
func Ptr(p, token string) string {
	if strings.ContainsAny(token, "~/") {
		token = strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
	}
	return p + "/" + token
}

// Index appends an array index to JSON pointer p.
func Index(p string, i int) string { return p + "/" + strconv.Itoa(i) }

// Parse decodes a JSON document into the generic value the generated
// validators walk (objects as map[string]any, numbers as json.Number). A
// document it refuses becomes a FieldError whose rule is RuleSyntax,
// RuleUTF8 or RuleDuplicateKey and whose message gives the byte
// offset.
func Parse(body []byte) (any, *runtime.FieldError) {
	v, err := parseJSON(body)
	if err != nil {
		return nil, err.fieldError()
	}
	return v, nil
}

// Kind returns the JSON type name of a generic value: object, array,
// string, number, boolean or null.
func Kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "unknown"
}

// IsInteger reports whether n is a JSON number with an integral value
// (1 and 1.0 both are, as JSON Schema says).
func IsInteger(n json.Number) bool {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		return true
	}
	f, err := n.Float64()
	return err == nil && f == math.Trunc(f) && !math.IsInf(f, 0)
}

// HasType reports whether v is of JSON Schema type t, where "integer" is a
// number with an integral value.
func HasType(v any, t string) bool {
	switch t {
	case "integer":
		n, ok := v.(json.Number)
		return ok && IsInteger(n)
	case "number":
		_, ok := v.(json.Number)
		return ok
	default:
		return Kind(v) == t
	}
}

// TypeError records a type mismatch: want lists the allowed types.
func (c *Checker) TypeError(p string, v any, want ...string) {
	c.Fail(p, "type", fmt.Sprintf("expected %s, got %s", strings.Join(want, " or "), Kind(v)))
}

// Required records every name in names missing from o.
func (c *Checker) Required(p string, o map[string]any, names ...string) {
	for _, n := range names {
		if _, ok := o[n]; !ok {
			c.Fail(Ptr(p, n), "required", "property "+strconv.Quote(n)+" is missing")
		}
	}
}

// NoExtra records properties of o that known rejects, for
// additionalProperties: false.
func (c *Checker) NoExtra(p string, o map[string]any, known func(string) bool) {
	for _, k := range sortedKeys(o) {
		if !known(k) {
			c.Fail(Ptr(p, k), "additionalProperties", "property "+strconv.Quote(k)+" is not allowed")
		}
	}
}

// Extra validates the properties of o that known rejects with validate, for
// additionalProperties given as a schema.
func (c *Checker) Extra(p string, o map[string]any, known func(string) bool, validate ValidateFunc) {
	for _, k := range sortedKeys(o) {
		if !known(k) {
			validate(c, Ptr(p, k), o[k])
		}
	}
}

func sortedKeys(o map[string]any) []string {
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// OneOf checks that v passes exactly one of the alternatives. When none
// passes, the findings of the closest alternative (fewest errors) are
// reported too, so the sender learns which field to fix.
func (c *Checker) OneOf(p string, v any, alts ...ValidateFunc) {
	passed := 0
	var best *Checker
	var okSub *Checker
	for _, alt := range alts {
		s := c.try(p, v, alt)
		if s.OK() {
			passed++
			okSub = s
		} else if best == nil || len(s.Errors) < len(best.Errors) {
			best = s
		}
	}
	switch passed {
	case 1:
		c.Warnings = append(c.Warnings, okSub.Warnings...)
	case 0:
		c.Fail(p, "oneOf", "matches none of the alternatives")
		if best != nil {
			c.Errors = append(c.Errors, best.Errors...)
		}
	default:
		c.Fail(p, "oneOf", fmt.Sprintf("matches %d alternatives, exactly one allowed", passed))
	}
}

// AnyOf checks that v passes at least one alternative.
func (c *Checker) AnyOf(p string, v any, alts ...ValidateFunc) {
	var best *Checker
	for _, alt := range alts {
		s := c.try(p, v, alt)
		if s.OK() {
			c.Warnings = append(c.Warnings, s.Warnings...)
			return
		}
		if best == nil || len(s.Errors) < len(best.Errors) {
			best = s
		}
	}
	c.Fail(p, "anyOf", "matches none of the alternatives")
	if best != nil {
		c.Errors = append(c.Errors, best.Errors...)
	}
}

// Not checks that v does not pass validate.
func (c *Checker) Not(p string, v any, validate ValidateFunc) {
	s := c.try(p, v, validate)
	if s.OK() {
		c.Fail(p, "not", "matches a schema it must not match")
	}
}

// Discriminator records a missing or non-string discriminator property at
// pointer p (got is its value, nil when absent).
func (c *Checker) Discriminator(p string, got any) {
	if got == nil {
		c.Fail(p, "discriminator", "discriminator property is missing")
		return
	}
	c.Fail(p, "discriminator", "discriminator must be a string, got "+Kind(got))
}

// F returns a pointer to f, for optional bounds in generated code.
func F(f float64) *float64 { return &f }

// PropCount checks minProperties/maxProperties (negative bound = none).
func (c *Checker) PropCount(p string, o map[string]any, lo, hi int) {
	if lo >= 0 && len(o) < lo {
		c.Fail(p, "minProperties", fmt.Sprintf("at least %d properties required", lo))
	}
	if hi >= 0 && len(o) > hi {
		c.Fail(p, "maxProperties", fmt.Sprintf("at most %d properties allowed", hi))
	}
}

// ItemCount checks minItems/maxItems (negative bound = none).
func (c *Checker) ItemCount(p string, a []any, lo, hi int) {
	if lo >= 0 && len(a) < lo {
		c.Fail(p, "minItems", fmt.Sprintf("at least %d items required", lo))
	}
	if hi >= 0 && len(a) > hi {
		c.Fail(p, "maxItems", fmt.Sprintf("at most %d items allowed", hi))
	}
}

// Unique checks uniqueItems.
func (c *Checker) Unique(p string, a []any) {
	seen := make(map[string]bool, len(a))
	for _, v := range a {
		k := Canon(v)
		if seen[k] {
			c.Fail(p, "uniqueItems", "array items are not unique")
			return
		}
		seen[k] = true
	}
}

// Length checks minLength/maxLength in Unicode code points (negative = none).
func (c *Checker) Length(p, s string, lo, hi int) {
	n := utf8.RuneCountInString(s)
	if lo >= 0 && n < lo {
		c.Fail(p, "minLength", fmt.Sprintf("length %d is below the minimum %d", n, lo))
	}
	if hi >= 0 && n > hi {
		c.Fail(p, "maxLength", fmt.Sprintf("length %d is above the maximum %d", n, hi))
	}
}

// Pattern checks s against re; src is the pattern text for the message.
func (c *Checker) Pattern(p, s string, re *regexp.Regexp, src string) {
	if !re.MatchString(s) {
		c.Fail(p, "pattern", "does not match pattern "+strconv.Quote(src))
	}
}

// EnumString checks a string against its allowed values (soft: unknown
// values are warnings in lenient mode).
func (c *Checker) EnumString(p, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	c.Soft(p, "enum", fmt.Sprintf("value %s is not one of %s", strconv.Quote(s), quoteList(allowed)))
}

// EnumAny checks any value against allowed values given in canonical JSON.
func (c *Checker) EnumAny(p string, v any, allowed ...string) {
	k := Canon(v)
	for _, a := range allowed {
		if k == a {
			return
		}
	}
	c.Soft(p, "enum", fmt.Sprintf("value %s is not one of %s", k, strings.Join(allowed, ", ")))
}

// Const checks v equals the canonical JSON value want (a hard check).
func (c *Checker) Const(p string, v any, want string) {
	if Canon(v) != want {
		c.Fail(p, "const", "value must be "+want)
	}
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = strconv.Quote(x)
	}
	return strings.Join(q, ", ")
}

// Bounds checks minimum/maximum and their exclusive forms; nil = none.
func (c *Checker) Bounds(p string, n json.Number, min, max *float64, exMin, exMax bool) {
	f, err := n.Float64()
	if err != nil {
		c.Fail(p, "type", "number out of range")
		return
	}
	if min != nil && (f < *min || (exMin && f == *min)) {
		c.Fail(p, "minimum", fmt.Sprintf("%s is below the minimum %v", n, *min))
	}
	if max != nil && (f > *max || (exMax && f == *max)) {
		c.Fail(p, "maximum", fmt.Sprintf("%s is above the maximum %v", n, *max))
	}
}

// MultipleOf checks n is a multiple of m, exactly: both are read as
// decimal fractions, so 0.0075 is a multiple of 0.0001. Numbers whose
// exponent is too large for exact arithmetic to be cheap are compared in
// float64.
func (c *Checker) MultipleOf(p string, n json.Number, m float64) {
	if m <= 0 || math.IsInf(m, 0) || math.IsNaN(m) {
		return
	}
	if !isMultiple(string(n), m) {
		c.Fail(p, "multipleOf", fmt.Sprintf("%s is not a multiple of %v", n, m))
	}
}

// maxExactExponent bounds the decimal exponent multipleOf works on
// exactly; beyond it a hostile "1e999999999" would cost gigabytes.
const maxExactExponent = 400

func isMultiple(n string, m float64) bool {
	if exponentOf(n) <= maxExactExponent {
		x, ok1 := new(big.Rat).SetString(n)
		y, ok2 := new(big.Rat).SetString(strconv.FormatFloat(m, 'g', -1, 64))
		if ok1 && ok2 {
			return x.Quo(x, y).IsInt()
		}
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil && !math.IsInf(f, 0) {
		return false
	}
	q := f / m
	if math.IsInf(q, 0) {
		return false
	}
	return q == math.Trunc(q)
}

// exponentOf returns the absolute value of the exponent of a JSON number
// text (0 when it has none, a large value when it does not fit).
func exponentOf(n string) int {
	i := strings.IndexAny(n, "eE")
	if i < 0 {
		return 0
	}
	e := strings.TrimLeft(n[i+1:], "+-")
	if len(e) > 6 {
		return math.MaxInt32
	}
	v, _ := strconv.Atoi(e)
	return v
}

// Canon returns the canonical JSON text of a generic value (object keys
// sorted, numbers by value at any depth, so 1 and 1.0 are equal), used for
// enum, const and uniqueItems comparisons.
func Canon(v any) string {
	var b strings.Builder
	canon(&b, v)
	return b.String()
}

func canon(b *strings.Builder, v any) {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			b.WriteString(canonFloat(f))
			return
		}
		b.WriteString(string(x))
	case float64:
		b.WriteString(canonFloat(x))
	case map[string]any:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteByte(',')
			}
			canonString(b, k)
			b.WriteByte(':')
			canon(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, y := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			canon(b, y)
		}
		b.WriteByte(']')
	case string:
		canonString(b, x)
	default:
		j, _ := json.Marshal(v)
		b.Write(j)
	}
}

func canonString(b *strings.Builder, s string) {
	j, _ := json.Marshal(s)
	b.Write(j)
}

func canonFloat(f float64) string {
	if f == 0 {
		return "0" // -0 equals 0
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

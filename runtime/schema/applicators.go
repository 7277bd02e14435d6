package schema

import (
	"fmt"
	"regexp"
	"strconv"
)

// Nothing is the validator of the boolean schema false: no value passes.
func Nothing(c *Checker, p string, _ any) {
	c.Fail(p, "false", "no value is allowed here (the schema is false)")
}

// IfThenElse applies then when v passes cond, and els otherwise; then and
// els may be nil (absent). Findings of cond itself are never reported.
func (c *Checker) IfThenElse(p string, v any, cond, then, els ValidateFunc) {
	s := c.try(p, v, cond)
	switch {
	case s.OK() && then != nil:
		then(c, p, v)
	case !s.OK() && els != nil:
		els(c, p, v)
	}
}

// DependentRequired records every name in names missing from o when o has
// the property trigger (dependentRequired).
func (c *Checker) DependentRequired(p string, o map[string]any, trigger string, names ...string) {
	if _, ok := o[trigger]; !ok {
		return
	}
	for _, n := range names {
		if _, ok := o[n]; !ok {
			c.Fail(Ptr(p, n), "dependentRequired", fmt.Sprintf("property %s is required when %s is present", strconv.Quote(n), strconv.Quote(trigger)))
		}
	}
}

// PatternProps validates every property of o whose name matches re with
// validate (one patternProperties entry).
func (c *Checker) PatternProps(p string, o map[string]any, re *regexp.Regexp, validate ValidateFunc) {
	for _, k := range sortedKeys(o) {
		if re.MatchString(k) {
			validate(c, Ptr(p, k), o[k])
		}
	}
}

// PropertyNames validates every property name of o, as a string value, with
// validate (propertyNames). Findings point at the property.
func (c *Checker) PropertyNames(p string, o map[string]any, validate ValidateFunc) {
	for _, k := range sortedKeys(o) {
		s := c.try(Ptr(p, k), k, validate)
		if !s.OK() {
			c.Fail(Ptr(p, k), "propertyNames", "property name "+strconv.Quote(k)+" is not allowed")
		}
		c.Warnings = append(c.Warnings, s.Warnings...)
	}
}

// Items validates the items of a from index from on with validate (items
// after prefixItems).
func (c *Checker) Items(p string, a []any, from int, validate ValidateFunc) {
	for i := from; i < len(a); i++ {
		validate(c, Index(p, i), a[i])
	}
}

// Contains checks that the number of items of a passing validate is at
// least lo and, when hi is not negative, at most hi (contains with
// minContains and maxContains; lo is 1 when minContains is absent).
func (c *Checker) Contains(p string, a []any, validate ValidateFunc, lo, hi int) {
	n := 0
	for i, y := range a {
		s := c.try(Index(p, i), y, validate)
		if s.OK() {
			n++
		}
	}
	if n < lo {
		if lo == 1 {
			c.Fail(p, "contains", "no item matches the contains schema")
		} else {
			c.Fail(p, "minContains", fmt.Sprintf("%d items match the contains schema, at least %d required", n, lo))
		}
	}
	if hi >= 0 && n > hi {
		c.Fail(p, "maxContains", fmt.Sprintf("%d items match the contains schema, at most %d allowed", n, hi))
	}
}

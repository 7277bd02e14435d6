package expr

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hookgen/hookgen/runtime"
)

// Match selects deliveries by the values of runtime expressions, for event
// selection: every expression's value must be one of its listed values. The
// zero Match (and one parsed from an empty map) matches every request. A
// Match is immutable and safe for concurrent use.
type Match struct {
	clauses []clause
}

type clause struct {
	expr   Expr
	values []string
}

// ParseMatch parses a map from runtime expression to accepted values, for
// example {"$request.body#/event_type": {"cube_built", "cube_failed"}}. Each
// expression must have at least one value. Values are compared with the
// value's String() (see [Value.String]), so a JSON null matches "null", a
// JSON true matches "true" and the number 1.0 matches "1.0" but not "1".
// An absent value matches "null" too.
func ParseMatch(m map[string][]string) (Match, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := Match{clauses: make([]clause, 0, len(keys))}
	for _, k := range keys {
		e, err := Parse(k)
		if err != nil {
			return Match{}, err
		}
		if len(m[k]) == 0 {
			return Match{}, &SyntaxError{Expr: k, Offset: len(k), Msg: "no accepted values listed; a match needs at least one"}
		}
		out.clauses = append(out.clauses, clause{expr: e, values: slices.Clone(m[k])})
	}
	return out, nil
}

// Eval reports whether req matches: for every expression, in sorted order,
// the expression resolves to a value whose String() is one of the listed
// values. An expression that resolves to nothing (absent header, pointer to
// a missing member) matches only when "null" is listed, like a JSON null.
// err is non-nil only when a body expression meets invalid JSON.
func (m Match) Eval(req *runtime.Request) (bool, error) {
	for _, c := range m.clauses {
		v, ok, err := c.expr.Eval(req)
		if err != nil {
			return false, fmt.Errorf("expr: match %s: %w", c.expr, err)
		}
		if !ok {
			// An absent value matches the literal "null", as JSON null
			// does (openapi/README.md: "null" means "resolves to nothing
			// or to null").
			if !slices.Contains(c.values, "null") {
				return false, nil
			}
			continue
		}
		if !slices.Contains(c.values, v.String()) {
			return false, nil
		}
	}
	return true, nil
}

// String describes the match, for logs: `$a in [x y] && $b in [z]`.
func (m Match) String() string {
	parts := make([]string, len(m.clauses))
	for i, c := range m.clauses {
		parts[i] = fmt.Sprintf("%s in %v", c.expr, c.values)
	}
	return strings.Join(parts, " && ")
}

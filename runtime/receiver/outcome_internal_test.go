package receiver

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAckTableComplete: every Outcome constant declared in outcome.go has
// a row in the acknowledgement table, with an answer.
func TestAckTableComplete(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "outcome.go", nil, 0)
	require.NoError(t, err)
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Outcome" {
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit).Value
				out := Outcome(lit[1 : len(lit)-1])
				rl, ok := ackTable[out]
				if assert.True(t, ok, "no row for %s", out) {
					assert.NotZero(t, rl.answer, "row %s answers nothing", out)
				}
				n++
			}
		}
		return true
	})
	assert.Equal(t, len(ackTable), n, "rows for outcomes that are not declared")
}

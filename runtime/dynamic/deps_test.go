package dynamic_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRuntimeDoesNotImportTheGenerator: arrows point down. No runtime
// package links the code generator or oapi-codegen, and the test kit a
// user's tests import links no text/template.
func TestRuntimeDoesNotImportTheGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/hookgen/hookgen/runtime/...").CombinedOutput()
	require.NoError(t, err, "%s", out)
	deps := strings.Fields(string(out))
	require.Contains(t, deps, "github.com/hookgen/hookgen/runtime/dynamic")
	for _, d := range deps {
		assert.False(t, strings.HasPrefix(d, "github.com/hookgen/hookgen/generator"), "runtime links %s", d)
		assert.NotContains(t, d, "oapi-codegen/oapi-codegen", "runtime links %s", d)
	}
	out, err = exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/hookgen/hookgen/runtime/webhooktest").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.NotContains(t, strings.Fields(string(out)), "text/template")
}

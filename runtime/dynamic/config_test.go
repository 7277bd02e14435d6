package dynamic_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/dynamic"
)

func TestReadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	cfg := write("hookgen.yaml", "spec: vendor.yaml\npackage: x\nout: gen\noverlay: o.yaml\nfamily: f\nwebhooks:\n  hook: {path: /in}\n")
	assert.True(t, dynamic.IsConfigFile(cfg))
	c, err := dynamic.ReadConfig(cfg)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "vendor.yaml"), c.Spec)
	assert.Equal(t, filepath.Join(dir, "o.yaml"), c.Overlay)
	assert.Equal(t, "f", c.Family)
	assert.Equal(t, "/in", c.Webhooks["hook"].Path)

	assert.False(t, dynamic.IsConfigFile(write("spec.yaml", "openapi: 3.1.0\nspec: odd\n")))
	assert.False(t, dynamic.IsConfigFile(filepath.Join(dir, "missing.yaml")))
	_, err = dynamic.ReadConfig(write("typo.yaml", "spec: a.yaml\nwebhok: {}\n"))
	assert.ErrorContains(t, err, "webhok")
	_, err = dynamic.ReadConfig(write("nospec.yaml", "package: x\n"))
	assert.ErrorContains(t, err, "no spec")
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSendWebhookFlagUsage(t *testing.T) {
	f := filepath.Join(t.TempDir(), "p.json")
	require.NoError(t, os.WriteFile(f, []byte(`{}`), 0o600))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-webhook", "backup-success"}, "-webhook needs -file"},
		{[]string{"-file", f, "-webhook", "nope"}, `-webhook "nope"`},
	} {
		args := append([]string{"send", "-spec", specPath("clcbackup"), "-url", "http://127.0.0.1:1"}, tc.args...)
		code, _, stderr := cli(t, nil, args...)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, tc.want)
		assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, stderr)
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the hookgen checkout as seen from this package's directory.
var repoRoot = filepath.Join("..", "..", "..")

func TestScaffoldUsageErrorsExit2WithOneLine(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no kind", []string{"scaffold"}, "missing kind"},
		{"unknown kind", []string{"scaffold", "billing"}, `unknown scaffold "billing"`},
		{"missing flags", []string{"scaffold", "ticketing", "-families", "stackstate"}, "-families, -module and -out are required"},
		{"unknown family", []string{"scaffold", "ticketing", "-families", "stackstate,pagerduty", "-module", "m", "-out", out}, `unknown family "pagerduty"`},
		{"unknown tracker", []string{"scaffold", "ticketing", "-families", "stackstate", "-tracker", "jira", "-module", "m", "-out", out}, `unknown tracker "jira"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := cli(t, nil, tc.args...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tc.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			_, err := os.Stat(out)
			assert.True(t, os.IsNotExist(err), "nothing written")
		})
	}
}

func TestScaffoldUnknownFlagExits2(t *testing.T) {
	code, _, stderr := cli(t, nil, "scaffold", "ticketing", "-nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "flag provided but not defined: -nope")
}

func TestScaffoldRefusesNonEmptyOutUnlessForced(t *testing.T) {
	out := t.TempDir()
	keep := filepath.Join(out, "mine.txt")
	require.NoError(t, os.WriteFile(keep, []byte("mine"), 0o600))
	args := []string{"scaffold", "ticketing", "-families", "butler", "-module", "example.com/t", "-out", out, "-q"}
	code, _, stderr := cli(t, nil, args...)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "is not empty (use -force to overwrite)")
	_, err := os.Stat(filepath.Join(out, "go.mod"))
	assert.True(t, os.IsNotExist(err))

	code, _, stderr = cli(t, nil, append(args, "-force")...)
	require.Equal(t, 0, code, stderr)
	assert.FileExists(t, filepath.Join(out, "go.mod"))
	assert.FileExists(t, filepath.Join(out, "mapping", "butler.go"))
	assert.NoFileExists(t, filepath.Join(out, "mapping", "stackstate.go"), "only the chosen families")
	assert.FileExists(t, keep, "-force overwrites, it does not clear")
}

// The scaffolded module builds, vets and passes its own tests as generated,
// offline, with -hookgen pointing at this checkout.
func TestScaffoldedModuleBuildsAndPassesItsTests(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	out := t.TempDir()
	code, stdout, stderr := cli(t, nil, "scaffold", "ticketing", "-families", "stackstate,clcbackup,butler,netpulse,atscale",
		"-tracker", "redmine", "-module", "example.com/alerts", "-out", out, "-hookgen", repoRoot)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "wrote")
	mod, err := os.ReadFile(filepath.Join(out, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "replace github.com/hookgen/hookgen => ")
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}, {"test", "-count=1", "./..."}} {
		cmd := exec.Command(goTool, args...)
		cmd.Dir = out
		cmd.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOWORK=off")
		b, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), b)
	}
}

func TestScaffoldHelpListsFlagsAndExits0(t *testing.T) {
	for _, args := range [][]string{{"scaffold", "-h"}, {"scaffold", "ticketing", "-h"}} {
		code, _, stderr := cli(t, nil, args...)
		assert.Equal(t, 0, code)
		assert.Contains(t, stderr, "-families")
		assert.Contains(t, stderr, "Example:")
	}
}

package scaffold_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator/scaffold"
)

func paths(files []scaffold.File) []string {
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func content(t *testing.T, files []scaffold.File, path string) string {
	t.Helper()
	for _, f := range files {
		if f.Path == path {
			return string(f.Content)
		}
	}
	t.Fatalf("no file %s in %v", path, paths(files))
	return ""
}

func TestTicketingWritesOnlyTheChosenFamilies(t *testing.T) {
	files, err := scaffold.Ticketing(context.Background(), scaffold.TicketingOptions{
		Families: []string{"clcbackup"}, Tracker: "redmine", Module: "example.com/backup"})
	require.NoError(t, err)
	ps := paths(files)
	assert.Contains(t, ps, "receivers/clcbackup/receiver.gen.go")
	assert.Contains(t, ps, "mapping/clcbackup.go")
	assert.Contains(t, ps, "mapping/clcbackup_test.go")
	assert.NotContains(t, ps, "mapping/stackstate.go")
	assert.NotContains(t, ps, "go.sum", "no checkout, no go.sum")
	assert.Equal(t, "module example.com/backup\n\ngo 1.26.0\n\nrequire github.com/hookgen/hookgen v0.0.0-00010101000000-000000000000\n",
		content(t, files, "go.mod"))
	main := content(t, files, "main.go")
	assert.Contains(t, main, `"example.com/backup/receivers/clcbackup"`)
	assert.NotContains(t, main, "stackstate")
	readme := content(t, files, "README.md")
	assert.Contains(t, readme, "/clcbackup/backup-success")
	assert.NotContains(t, readme, "**StackState**")
}

func TestTicketingReplaceIsRelativeToOut(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := scaffold.Ticketing(context.Background(), scaffold.TicketingOptions{
		Families: []string{"butler"}, Tracker: "redmine", Module: "m", Hookgen: root, Out: filepath.Join(root, "examples", "x")})
	require.NoError(t, err)
	mod := content(t, files, "go.mod")
	assert.Contains(t, mod, "replace github.com/hookgen/hookgen => ../..\n")
	assert.Contains(t, mod, "github.com/jackc/pgx/v5 ", "the checkout's requirements are carried over")
	assert.NotEmpty(t, content(t, files, "go.sum"))
}

func TestTicketingRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		o    scaffold.TicketingOptions
		want error
		msg  string
	}{
		{scaffold.TicketingOptions{Families: []string{"pagerduty"}, Tracker: "redmine", Module: "m"}, scaffold.ErrUnknownFamily, `"pagerduty"`},
		{scaffold.TicketingOptions{Families: []string{"butler"}, Tracker: "jira", Module: "m"}, scaffold.ErrUnknownTracker, `"jira"`},
		{scaffold.TicketingOptions{Tracker: "redmine", Module: "m"}, scaffold.ErrInvalid, "no family"},
		{scaffold.TicketingOptions{Families: []string{"butler", "butler"}, Tracker: "redmine", Module: "m"}, scaffold.ErrInvalid, "twice"},
		{scaffold.TicketingOptions{Families: []string{"butler"}, Tracker: "redmine", Module: "a b"}, scaffold.ErrInvalid, "module"},
		{scaffold.TicketingOptions{Families: []string{"butler"}, Tracker: "redmine", Module: "m", Hookgen: t.TempDir()}, nil, "go.mod"},
	} {
		_, err := scaffold.Ticketing(ctx, tc.o)
		require.Error(t, err)
		if tc.want != nil {
			require.ErrorIs(t, err, tc.want)
		}
		assert.Contains(t, err.Error(), tc.msg)
		assert.False(t, strings.Contains(err.Error(), "\n"), "one line: %q", err)
	}
}

func ExampleTicketing() {
	files, err := scaffold.Ticketing(context.Background(), scaffold.TicketingOptions{
		Families: []string{"stackstate"}, Tracker: "redmine", Module: "example.com/alerts"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Path, "receivers/") {
			fmt.Println(f.Path)
		}
	}
	// Output:
	// README.md
	// config.example.json
	// config.go
	// config_test.go
	// go.mod
	// main.go
	// main_test.go
	// mapping/mapping.go
	// mapping/stackstate.go
	// mapping/stackstate_test.go
}

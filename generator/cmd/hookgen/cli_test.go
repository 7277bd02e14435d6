package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specPath is a family spec as seen from this package's directory.
func specPath(family string) string {
	return filepath.Join("..", "..", "..", "openapi", family+".yaml")
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cli runs the command in-process and returns its exit code and output.
func cli(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code = run(context.Background(), args, stdin, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrorsExit2WithOneLineReason(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string // in the reason
	}{
		{"validate without spec", []string{"validate", "x.json"}, "-spec is required"},
		{"validate without payload", []string{"validate", "-spec", specPath("stackstate")}, "no PAYLOAD"},
		{"validate op and event", []string{"validate", "-spec", specPath("stackstate"), "-op", "notification", "-event", "NotificationOpened", "a=b"}, "exclusive"},
		{"validate bad format", []string{"validate", "-spec", specPath("stackstate"), "-format", "xml", "a=b"}, "-format"},
		{"validate missing file", []string{"validate", "-spec", specPath("stackstate"), filepath.Join(dir, "nope.json")}, "not a readable file"},
		{"validate stdin twice", []string{"validate", "-spec", specPath("stackstate"), "-", "-"}, "stdin"},
		{"validate unknown op", []string{"validate", "-spec", specPath("stackstate"), "-op", "nope", "a=b"}, "-op"},
		{"validate unknown event", []string{"validate", "-spec", specPath("stackstate"), "-event", "Nope", "a=b"}, "-event"},
		{"validate unknown flag", []string{"validate", "-bogus"}, "bogus"},
		{"serve without spec", []string{"serve", "-addr", "127.0.0.1:0"}, "-spec is required"},
		{"serve bad store", []string{"serve", "-spec", specPath("atscale"), "-store", "ftp://x"}, "-store"},
		{"serve bad secret", []string{"serve", "-spec", specPath("stackstate"), "-secret", "Token"}, "SCHEME=VALUE"},
		{"serve unknown scheme", []string{"serve", "-spec", specPath("stackstate"), "-secret", "Nope=x"}, `"Nope"`},
		{"serve missing secret", []string{"serve", "-spec", specPath("stackstate"), "-addr", "127.0.0.1:0"}, `scheme "Token"`},
		{"serve stray arg", []string{"serve", "-spec", specPath("atscale"), "extra"}, "unexpected argument"},
		{"deliveries bad format", []string{"deliveries", "-format", "csv"}, "-format"},
		{"deliveries memory store", []string{"deliveries", "-store", "memory:"}, "-store"},
		{"send without spec", []string{"send", "-url", "http://127.0.0.1:1"}, "-spec is required"},
		{"send without url", []string{"send", "-spec", specPath("atscale")}, "-url is required"},
		{"send bad url", []string{"send", "-spec", specPath("atscale"), "-url", "127.0.0.1:1"}, "-url"},
		{"send two selectors", []string{"send", "-spec", specPath("atscale"), "-url", "http://127.0.0.1:1", "-event", "A", "-example", "b"}, "exclusive"},
		{"send bad scenario", []string{"send", "-spec", specPath("atscale"), "-url", "http://127.0.0.1:1", "-scenario", "chaos"}, "-scenario"},
		{"send bad time scale", []string{"send", "-spec", specPath("atscale"), "-url", "http://127.0.0.1:1", "-time-scale", "0"}, "-time-scale"},
		{"send bad retries", []string{"send", "-spec", specPath("netpulse"), "-url", "http://127.0.0.1:1", "-retries", "soon"}, "-retries"},
		{"send unknown example", []string{"send", "-spec", specPath("atscale"), "-url", "http://127.0.0.1:1", "-example", "nope"}, "-example"},
		{"send unknown event", []string{"send", "-spec", specPath("atscale"), "-url", "http://127.0.0.1:1", "-event", "Nope"}, "-event"},
		{"send unknown scheme", []string{"send", "-spec", specPath("atscale"), "-url", "http://127.0.0.1:1", "-secret", "Token=x"}, `"Token"`},
		{"send method not taken", []string{"send", "-spec", specPath("stackstate"), "-url", "http://127.0.0.1:1", "-method", "GET"}, "-method"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := cli(t, nil, tt.args...)
			assert.Equal(t, 2, code, "stderr: %s", stderr)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		})
	}
}

func TestHelpExits0WithExample(t *testing.T) {
	for _, cmd := range []string{"validate", "serve", "deliveries", "send"} {
		t.Run(cmd, func(t *testing.T) {
			code, _, stderr := cli(t, nil, cmd, "-h")
			assert.Equal(t, 0, code)
			assert.Contains(t, stderr, "Usage: hookgen "+cmd)
			assert.Contains(t, stderr, "Example:\n  hookgen "+cmd)
		})
	}
	code, _, stderr := cli(t, nil, "-h")
	require.Equal(t, 0, code)
	for _, cmd := range []string{"validate", "serve", "deliveries", "send"} {
		assert.Contains(t, stderr, "  "+cmd)
	}
}

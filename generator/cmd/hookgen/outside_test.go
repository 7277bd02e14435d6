package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outsideTest is the test the outside module runs: it posts the StackState
// docs' open example to the router of the README's main.go.
const outsideTest = `package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

func TestReceivesOneVector(t *testing.T) {
	router, err := newRouter("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	defer srv.Close()
	body, err := os.ReadFile("docs-open.json")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/stackstate/notification", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-StackState-Webhook-Token", "s3cret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Hookgen-Outcome") != "processed" {
		t.Fatalf("status %d, outcome %q", res.StatusCode, res.Header.Get("Hookgen-Outcome"))
	}
}
`

// TestOutsideModule adopts hookgen the way the README says, in a new module
// outside this one: go get -tool the CLI (with a replace to this checkout,
// as the module is not published from here), the README's hooks.go with its
// //go:generate line, go generate, the README's main.go mounting the
// receiver on gorilla/mux, and a test there that sends it one vector.
// Modules come from the local module cache (GOPROXY=file://…, no network).
func TestOutsideModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module from scratch")
	}
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	files := readmeFiles(t, filepath.Join(root, "README.md"))
	require.Contains(t, files, "hooks/hooks.go")
	require.Contains(t, files, "main.go")

	dir := t.TempDir()
	write := func(name string, b []byte) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}
	write("go.mod", []byte("module example.com/acme\n\ngo 1.26.0\n\n"+
		"require github.com/hookgen/hookgen v0.0.0-00010101000000-000000000000\n\n"+
		"replace github.com/hookgen/hookgen => "+root+"\n"))
	modcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	require.NoError(t, err)
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOSUMDB=off",
		"GOPROXY=file://"+filepath.ToSlash(filepath.Join(strings.TrimSpace(string(modcache)), "cache", "download")))
	gocmd := func(args ...string) string {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), out)
		return string(out)
	}

	gocmd("get", "-tool", "github.com/hookgen/hookgen/generator/cmd/hookgen")
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(mod), "tool github.com/hookgen/hookgen/generator/cmd/hookgen")

	for name, src := range files {
		write(name, []byte(src))
	}
	spec, err := os.ReadFile(filepath.Join(root, "openapi", "stackstate.yaml"))
	require.NoError(t, err)
	write("hooks/stackstate.yaml", spec)
	gocmd("generate", "./...")
	for _, f := range []string{"models.gen.go", "receiver.gen.go", "sender.gen.go", "validate.gen.go"} {
		require.FileExists(t, filepath.Join(dir, "hooks", f))
	}
	gocmd("build", "./...")
	gocmd("vet", "./...")

	vector, err := os.ReadFile(filepath.Join(root, "openapi", "examples", "stackstate", "docs-open.json"))
	require.NoError(t, err)
	write("docs-open.json", vector)
	write("main_test.go", []byte(outsideTest))
	gocmd("test", "-count=1", "./...")
}

// readmeFiles returns the code blocks of README.md announced by a
// "<!-- file: NAME -->" line, by NAME.
func readmeFiles(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	re := regexp.MustCompile("(?s)<!-- file: (\\S+) -->\\n```go\\n(.*?)```")
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	return out
}

package harness

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hookgen/hookgen/internal/bench/serve"
	"github.com/hookgen/hookgen/internal/bench/spec30"
	"github.com/hookgen/hookgen/openapi"
)

// OgenVersion is the ogen release the peer receiver is generated with.
const OgenVersion = "v1.24.0"

//go:embed ogen/main.go.tmpl
var ogenMain string

// Families are the specs the generator timing covers (make generate's list).
var Families = []string{"stackstate", "atscale", "butler", "netpulse", "clcbackup"}

// Binaries are the built executables, by receiver binary name.
type Binaries struct {
	Dir string
}

// Path returns the path of binary name.
func (b *Binaries) Path(name string) string { return filepath.Join(b.Dir, name) }

// goCmd runs the go command in dir with GOWORK off and the extra environment.
func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOWORK=off"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return nil
}

// Build compiles every receiver into dir: the receivers of this module, the
// hookgen CLI of the repository at repo, and recv-ogen, generated from the
// StackState schema by ogen in a temporary module under dir.
func Build(ctx context.Context, benchDir, repo, dir string) (*Binaries, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := goCmd(ctx, benchDir, nil, "build", "-o", dir+string(filepath.Separator),
		"./cmd/recv-bare", "./cmd/recv-json", "./cmd/recv-kin", "./cmd/recv-fsync", "./cmd/recv-hookgen"); err != nil {
		return nil, err
	}
	if err := goCmd(ctx, repo, nil, "build", "-o", filepath.Join(dir, "hookgen"), "./generator/cmd/hookgen"); err != nil {
		return nil, err
	}
	if err := buildOgen(ctx, filepath.Join(dir, "ogen-src"), filepath.Join(dir, "recv-ogen")); err != nil {
		return nil, err
	}
	return &Binaries{Dir: dir}, nil
}

// buildOgen generates the ogen server into a fresh module at src and
// builds it to out.
func buildOgen(ctx context.Context, src, out string) error {
	if err := os.RemoveAll(src); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(src, "cmd", "recv-ogen"), 0o755); err != nil {
		return err
	}
	spec, err := openapi.SpecBytes("stackstate")
	if err != nil {
		return err
	}
	y, err := spec30.Convert(spec)
	if err != nil {
		return err
	}
	files := map[string]string{
		"go.mod":                "module ogenbench\n\ngo 1.26\n",
		"openapi.yaml":          string(y),
		"cmd/recv-ogen/main.go": strings.Replace(ogenMain, "{{TOKEN}}", serve.Token, 1),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	modEnv := []string{"GOFLAGS=-mod=mod"}
	if err := goCmd(ctx, src, modEnv, "run", "github.com/ogen-go/ogen/cmd/ogen@"+OgenVersion,
		"--target", "api", "--package", "api", "--clean", "openapi.yaml"); err != nil {
		return fmt.Errorf("ogen: %w", err)
	}
	if err := goCmd(ctx, src, modEnv, "mod", "tidy"); err != nil {
		return err
	}
	return goCmd(ctx, src, nil, "build", "-o", out, "./cmd/recv-ogen")
}

// TimeGenerate runs `hookgen generate` for every family in [Families] into
// directories under dir and returns the wall time of the five runs.
func TimeGenerate(ctx context.Context, hookgen, repo, dir string) (time.Duration, error) {
	start := time.Now()
	for _, f := range Families {
		cmd := exec.CommandContext(ctx, hookgen, "generate", "-q",
			"-spec", filepath.Join(repo, "openapi", f+".yaml"), "-package", f, "-out", filepath.Join(dir, f))
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("hookgen generate %s: %w\n%s", f, err, out)
		}
	}
	return time.Since(start), nil
}

package generator_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/<case>/out")

// goldenCases are third-party-shaped specs used without edits.
var goldenCases = []string{"stackstate303", "billing31", "mixedsec"}

// TestGolden generates each case and compares it with the checked-in
// output, which is itself a Go package that must build and vet (the
// golden files compile).
func TestGolden(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			files, err := generator.Run(context.Background(), generator.Config{
				Spec:    filepath.Join("testdata", name, "openapi.yaml"),
				Package: "out",
			})
			require.NoError(t, err)
			dir := filepath.Join("testdata", name, "out")
			if *update {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.MkdirAll(dir, 0o755))
				for _, f := range files {
					require.NoError(t, os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644))
				}
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err, "no golden output: run go test ./generator -run Golden -update")
			var onDisk []string
			for _, e := range entries {
				if strings.HasSuffix(e.Name(), ".gen.go") {
					onDisk = append(onDisk, e.Name())
				}
			}
			var generated []string
			for _, f := range files {
				generated = append(generated, f.Name)
				want, err := os.ReadFile(filepath.Join(dir, f.Name))
				require.NoError(t, err)
				require.True(t, bytes.Equal(want, f.Content), "%s/%s is stale: run go test ./generator -run Golden -update", dir, f.Name)
			}
			require.ElementsMatch(t, generated, onDisk)
			for _, f := range files {
				require.True(t, bytes.HasPrefix(f.Content, []byte(generator.Header+"\n")), "%s does not start with the generated-code header", f.Name)
			}
			if testing.Short() {
				return
			}
			cmd := exec.Command("go", "vet", "./"+filepath.ToSlash(dir))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "golden package does not vet:\n%s", out)
		})
	}
}

// TestDeterministic generates every family twice and requires
// byte-identical output.
func TestDeterministic(t *testing.T) {
	for _, fam := range []string{"stackstate", "atscale", "butler", "netpulse", "clcbackup"} {
		cfg := generator.Config{Spec: filepath.Join("..", "openapi", fam+".yaml"), Package: fam}
		a, err := generator.Run(context.Background(), cfg)
		require.NoError(t, err)
		b, err := generator.Run(context.Background(), cfg)
		require.NoError(t, err)
		require.Equal(t, len(a), len(b))
		for i := range a {
			require.Equal(t, a[i].Name, b[i].Name)
			require.True(t, bytes.Equal(a[i].Content, b[i].Content), "%s/%s differs between two runs", fam, a[i].Name)
		}
	}
}

// BenchmarkGenerateAllFamilies generates all five families (load, model,
// render, oapi-codegen models, gofmt). Target: under 2 s per iteration.
func BenchmarkGenerateAllFamilies(b *testing.B) {
	for b.Loop() {
		for _, fam := range []string{"stackstate", "atscale", "butler", "netpulse", "clcbackup"} {
			_, err := generator.Run(context.Background(), generator.Config{Spec: filepath.Join("..", "openapi", fam+".yaml"), Package: fam})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

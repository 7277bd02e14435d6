package generator_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// corpusWarnings is how many examples of each third-party spec break the
// spec's own schema (warnings, not refusals).
var corpusWarnings = map[string]int{
	"oai-webhook-example":            1, // the overlay's deliberately bad example
	"stackstate":                     1, // the vendor's embedded example predates its schema
	"adyen-report":                   0,
	"adyen-balance":                  0,
	"adyen-negative-balance-warning": 0,
	"redocly-museum":                 0,
}

// TestThirdPartyCorpus: every spec under testdata/thirdparty is kept byte
// for byte (its SHA-256 is the one README.md records), generates with the
// hookgen.yaml beside it (warnings only for its examples that break its
// schema), and the generated package builds and vets.
func TestThirdPartyCorpus(t *testing.T) {
	root := filepath.Join("testdata", "thirdparty")
	sums := readmeSums(t, filepath.Join(root, "README.md"))
	cfgs, err := filepath.Glob(filepath.Join(root, "*", "hookgen.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(cfgs), 6)
	require.Len(t, cfgs, len(corpusWarnings))
	checked := 0
	for _, path := range cfgs {
		dir := filepath.Dir(path)
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			for file, want := range sums {
				if filepath.Dir(file) == name {
					b, err := os.ReadFile(filepath.Join(root, file))
					require.NoError(t, err)
					got := sha256.Sum256(b)
					assert.Equal(t, want, hex.EncodeToString(got[:]), "%s is not the published file byte for byte", file)
					checked++
				}
			}
			cfg, err := generator.LoadConfig(path)
			require.NoError(t, err)
			var warnings []dynamic.Warning
			cfg.OnWarning = func(w dynamic.Warning) { warnings = append(warnings, w) }
			files, err := generator.Run(context.Background(), cfg)
			require.NoError(t, err)
			want, ok := corpusWarnings[name]
			require.True(t, ok, "add %s to corpusWarnings", name)
			assert.Len(t, warnings, want, "%v", warnings)
			if testing.Short() {
				return
			}
			out, err := os.MkdirTemp(dir, "gen-")
			require.NoError(t, err)
			t.Cleanup(func() { _ = os.RemoveAll(out) })
			for _, f := range files {
				require.NoError(t, os.WriteFile(filepath.Join(out, f.Name), f.Content, 0o644))
			}
			pkg := "./" + filepath.ToSlash(out)
			for _, args := range [][]string{{"build", pkg}, {"vet", pkg}} {
				b, err := exec.Command("go", args...).CombinedOutput()
				require.NoError(t, err, "go %s:\n%s", strings.Join(args, " "), b)
			}
		})
	}
	assert.GreaterOrEqual(t, checked, len(cfgs), "every case has its files' checksums in README.md")
}

// readmeSums reads the "sha256 `<hex>` `<case>/<file>`" lines of the
// corpus README.
func readmeSums(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "`")
		for i := 0; i+3 < len(fields); i++ {
			if strings.HasSuffix(strings.TrimSpace(fields[i]), "sha256") && len(fields[i+1]) == 64 {
				out[fields[i+3]] = fields[i+1]
			}
		}
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

package generator_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/internal/difftest"
	"github.com/hookgen/hookgen/runtime"
)

// TestDynamicDifferential runs the interpreted validators (what hookgen
// serve and validate use) through the same differential test against
// kin-openapi as the compiled ones.
func TestDynamicDifferential(t *testing.T) {
	for _, fam := range []string{"stackstate", "atscale", "butler", "netpulse", "clcbackup"} {
		t.Run(fam, func(t *testing.T) {
			difftest.Run(t, fam, func() (*runtime.Family, error) {
				f, _, err := generator.LoadDynamic(context.Background(), generator.Config{Spec: filepath.Join("..", "openapi", fam+".yaml"), Package: fam})
				return f, err
			})
		})
	}
}

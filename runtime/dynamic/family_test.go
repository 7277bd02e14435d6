package dynamic_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hookgen/hookgen/internal/difftest"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// TestDynamicDifferential runs the interpreted validators (what hookgen
// serve and validate use) through the same differential test against
// kin-openapi as the compiled ones.
func TestDynamicDifferential(t *testing.T) {
	for _, fam := range []string{"stackstate", "atscale", "butler", "netpulse", "clcbackup"} {
		t.Run(fam, func(t *testing.T) {
			difftest.Run(t, fam, func() (*runtime.Family, error) {
				l, err := dynamic.LoadFamily(context.Background(), dynamic.Config{Spec: filepath.Join("..", "..", "openapi", fam+".yaml"), Family: fam})
				if err != nil {
					return nil, err
				}
				return l.Family, nil
			})
		})
	}
}

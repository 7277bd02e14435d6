package dynamic_test

import (
	"context"
	"github.com/stretchr/testify/require"
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
			t.Parallel()
			l, err := dynamic.LoadFamily(context.Background(), dynamic.Config{Spec: filepath.Join("..", "..", "openapi", fam+".yaml"), Family: fam})
			require.NoError(t, err)
			difftest.Run(t, fam, func() *runtime.Family { return l.Family })
		})
	}
}

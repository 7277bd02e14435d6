package stackstate_test

import (
	"testing"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/internal/difftest"
)

// FuzzDecode fuzzes the generated stackstate decoder with the oracle of
// difftest.Fuzz (the typed value reads exactly like the body; the verdict
// agrees with kin-openapi). go test runs its seeds, the family's valid
// vectors.
func FuzzDecode(f *testing.F) { difftest.Fuzz(f, "stackstate", stackstate.Family()) }

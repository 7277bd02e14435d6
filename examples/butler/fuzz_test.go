package butler_test

import (
	"testing"

	"github.com/hookgen/hookgen/examples/butler"
	"github.com/hookgen/hookgen/internal/difftest"
)

// FuzzDecode fuzzes the generated butler decoder with the oracle of
// difftest.Fuzz (the typed value reads exactly like the body; the verdict
// agrees with kin-openapi). go test runs its seeds, the family's valid
// vectors.
func FuzzDecode(f *testing.F) { difftest.Fuzz(f, "butler", butler.Family()) }

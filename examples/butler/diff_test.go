package butler_test

import (
	"testing"

	"github.com/hookgen/hookgen/examples/butler"
	"github.com/hookgen/hookgen/internal/difftest"
)

// TestDifferentialKinOpenAPI checks the generated validators against
// kin-openapi on every vector and on generated variants.
func TestDifferentialKinOpenAPI(t *testing.T) {
	difftest.Run(t, "butler", butler.Family)
}

package netpulse_test

import (
	"testing"

	"github.com/hookgen/hookgen/examples/netpulse"
	"github.com/hookgen/hookgen/internal/difftest"
)

// TestDifferentialKinOpenAPI checks the generated validators against
// kin-openapi on every vector and on generated variants.
func TestDifferentialKinOpenAPI(t *testing.T) {
	difftest.Run(t, "netpulse", netpulse.Family)
}

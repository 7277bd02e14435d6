package micro_test

import (
	"os"
	"testing"
)

// serviceURL returns the URL in env, or def when HOOKGEN_REQUIRE_SERVICES=1;
// otherwise the benchmark is skipped with a message naming the variables.
func serviceURL(b *testing.B, env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	if os.Getenv("HOOKGEN_REQUIRE_SERVICES") == "1" {
		return def
	}
	b.Skipf("set %s (or HOOKGEN_REQUIRE_SERVICES=1) to benchmark this store", env)
	return ""
}

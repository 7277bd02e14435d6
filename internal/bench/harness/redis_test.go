package harness_test

import (
	"context"
	"net/url"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/harness"
)

// redisBase returns HOOKGEN_REDIS_URL, or the local default when
// HOOKGEN_REQUIRE_SERVICES=1; it skips the test otherwise.
func redisBase(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("HOOKGEN_REDIS_URL"); u != "" {
		return u
	}
	if os.Getenv("HOOKGEN_REQUIRE_SERVICES") == "1" {
		return "redis://127.0.0.1:6379/0"
	}
	t.Skip("set HOOKGEN_REDIS_URL (or HOOKGEN_REQUIRE_SERVICES=1) to run this test")
	return ""
}

func TestPrepareRedisGivesARunItsOwnPrefixAndDeletesItsKeys(t *testing.T) {
	base := redisBase(t)
	ctx := context.Background()
	u, drop, err := harness.PrepareRedis(ctx, base)
	if err != nil && os.Getenv("HOOKGEN_REQUIRE_SERVICES") != "1" {
		t.Skipf("Redis unreachable: %v (set HOOKGEN_REDIS_URL or HOOKGEN_REQUIRE_SERVICES=1)", err)
	}
	require.NoError(t, err)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	prefix := parsed.Query().Get("prefix")
	require.Regexp(t, `^hookgen_bench_\d+:$`, prefix)

	opts, err := redis.ParseURL(base)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	defer client.Close()
	require.NoError(t, client.Set(ctx, prefix+"k1", "v", 0).Err())
	require.NoError(t, client.Set(ctx, prefix+"k2", "v", 0).Err())
	drop()
	n, err := client.Exists(ctx, prefix+"k1", prefix+"k2").Result()
	require.NoError(t, err)
	require.Zero(t, n)
}

func TestPrepareRedisReportsAnUnreachableServer(t *testing.T) {
	_, _, err := harness.PrepareRedis(context.Background(), "redis://127.0.0.1:1/0")
	require.ErrorContains(t, err, "Redis unreachable")
}

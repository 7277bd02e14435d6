package services_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
)

// childEnv makes TestChild run: it asks for the servers the parent set.
const childEnv = "HOOKGEN_SERVICES_CHILD"

// TestChild is run by TestMissingServer in a child process.
func TestChild(t *testing.T) {
	switch os.Getenv(childEnv) {
	case "":
		t.Skip("child process of TestMissingServer")
	case "postgres":
		services.PostgresURL(t)
	case "redis":
		services.RedisURL(t)
	}
	t.Log("CHILD GOT A SERVER")
}

// TestMissingServer runs TestChild with each combination of variables
// and checks the skip-or-fail rule.
func TestMissingServer(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	tests := []struct {
		name     string
		env      []string
		wantFail bool
		wantOut  string
	}{
		{"PostgresUnsetSkips", []string{childEnv + "=postgres", services.PostgresEnv + "=", services.RequireEnv + "="}, false, "set HOOKGEN_POSTGRES_URL"},
		{"RedisUnsetSkips", []string{childEnv + "=redis", services.RedisEnv + "=", services.RequireEnv + "="}, false, "set HOOKGEN_REDIS_URL"},
		{"PostgresDownSkips", []string{childEnv + "=postgres", services.PostgresEnv + "=postgres://postgres@127.0.0.1:1/test?sslmode=disable", services.RequireEnv + "="}, false, "unreachable"},
		{"PostgresDownFailsWhenRequired", []string{childEnv + "=postgres", services.PostgresEnv + "=postgres://postgres@127.0.0.1:1/test?sslmode=disable", services.RequireEnv + "=1"}, true, "unreachable"},
		{"RedisDownFailsWhenRequired", []string{childEnv + "=redis", services.RedisEnv + "=redis://127.0.0.1:1/0", services.RequireEnv + "=1"}, true, "unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			if tt.wantFail {
				require.Error(t, err, "%s", out)
				assert.Contains(t, string(out), "--- FAIL: TestChild")
			} else {
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "--- SKIP: TestChild")
			}
			assert.Contains(t, string(out), tt.wantOut)
			assert.NotContains(t, string(out), "CHILD GOT A SERVER")
		})
	}
}

func TestPostgresURLIsolated(t *testing.T) {
	ctx := context.Background()
	a, b := services.PostgresURL(t), services.PostgresURL(t)
	require.NotEqual(t, a, b)
	ca, err := pgx.Connect(ctx, a)
	require.NoError(t, err)
	defer ca.Close(ctx)
	cb, err := pgx.Connect(ctx, b)
	require.NoError(t, err)
	defer cb.Close(ctx)
	_, err = ca.Exec(ctx, "CREATE TABLE t (x int)")
	require.NoError(t, err)
	_, err = cb.Exec(ctx, "CREATE TABLE t (x int)")
	require.NoError(t, err, "each URL has a schema of its own")
	var schema string
	require.NoError(t, ca.QueryRow(ctx, "SELECT current_schema()").Scan(&schema))
	assert.Contains(t, a, schema)
}

func TestRedisURLPrefixed(t *testing.T) {
	ctx := context.Background()
	var key string
	var opts *redis.Options
	t.Run("Write", func(t *testing.T) {
		u := services.RedisURL(t)
		require.NotEqual(t, u, services.RedisURL(t), "each call has its own prefix")
		parsed, err := url.Parse(u)
		require.NoError(t, err)
		prefix := parsed.Query().Get("prefix")
		require.True(t, strings.HasPrefix(prefix, "test_"), prefix)
		q := parsed.Query()
		q.Del("prefix")
		parsed.RawQuery = q.Encode()
		opts, err = redis.ParseURL(parsed.String())
		require.NoError(t, err)
		c := redis.NewClient(opts)
		defer c.Close()
		key = prefix + "k"
		require.NoError(t, c.Set(ctx, key, "v", 0).Err())
	})
	if opts == nil {
		t.Skip("no Redis (see the Write subtest)")
	}
	c := redis.NewClient(opts)
	defer c.Close()
	n, err := c.Exists(ctx, key).Result()
	require.NoError(t, err)
	assert.Zero(t, n, "the test's keys are deleted when it ends")
}

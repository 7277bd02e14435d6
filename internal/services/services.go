// Package services gives tests the PostgreSQL and Redis servers they need,
// isolated per test, and decides whether a missing server skips or fails
// the test.
//
// A test that needs PostgreSQL calls PostgresURL, one that needs Redis
// calls RedisURL. The server is taken from HOOKGEN_POSTGRES_URL or
// HOOKGEN_REDIS_URL. When the variable is unset, the test is skipped with a
// message naming it, unless HOOKGEN_REQUIRE_SERVICES=1 (set by CI), in
// which case the local default (DefaultPostgresURL, DefaultRedisURL) is
// used. When the server does not answer, the test fails if
// HOOKGEN_REQUIRE_SERVICES=1 and is skipped otherwise.
//
// Isolation: PostgresURL creates a fresh schema and returns a URL whose
// search_path points at it; the schema is dropped when the test ends.
// RedisURL returns a URL with a prefix query parameter unique to the test
// (the Redis store puts it before every key); the keys under it are
// deleted when the test ends.
package services

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Environment variables read by this package.
const (
	RequireEnv  = "HOOKGEN_REQUIRE_SERVICES"
	PostgresEnv = "HOOKGEN_POSTGRES_URL"
	RedisEnv    = "HOOKGEN_REDIS_URL"
)

// Servers used when the variables are unset and HOOKGEN_REQUIRE_SERVICES=1.
const (
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/0"
)

// dialTimeout bounds the reachability check.
const dialTimeout = 3 * time.Second

// Required reports whether HOOKGEN_REQUIRE_SERVICES=1: a missing server
// fails the test instead of skipping it.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// serverURL returns the URL in env, the default when required, or skips.
func serverURL(t testing.TB, env, def string) string {
	t.Helper()
	if u := os.Getenv(env); u != "" {
		return u
	}
	if Required() {
		return def
	}
	t.Skipf("no server: set %s (or %s=1 to use %s)", env, RequireEnv, def)
	return ""
}

// unreachable fails or skips the test for a server that does not answer.
func unreachable(t testing.TB, env, u string, err error) {
	t.Helper()
	if Required() {
		t.Fatalf("%s=1 but the server at %s (%s) is unreachable: %v", RequireEnv, redact(u), env, err)
	}
	t.Skipf("server at %s (%s) unreachable: %v; set %s to a reachable server, or %s=1 to fail instead", redact(u), env, err, env, RequireEnv)
}

// redact drops the password of u for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// name returns an identifier unique to this test run: test_<16 hex>.
func name() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "test_" + hex.EncodeToString(b[:])
}

// PostgresURL returns the URL of a PostgreSQL database whose search_path
// is a fresh schema of its own, dropped (with everything in it) when the
// test ends; or skips or fails the test as the package doc says.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := serverURL(t, PostgresEnv, DefaultPostgresURL)
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		unreachable(t, PostgresEnv, base, err)
		return ""
	}
	defer func() { _ = conn.Close(context.Background()) }()
	schema := name()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("services: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("services: drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = c.Close(ctx) }()
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("services: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("services: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// RedisURL returns the URL of a Redis database with a prefix query
// parameter unique to the test; the keys under the prefix are deleted when
// the test ends. It skips or fails the test as the package doc says.
func RedisURL(t testing.TB) string {
	t.Helper()
	base := serverURL(t, RedisEnv, DefaultRedisURL)
	opts, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("services: %s: %v", RedisEnv, err)
	}
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		unreachable(t, RedisEnv, base, err)
		return ""
	}
	prefix := name() + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("services: delete keys %s*: %v", prefix, err)
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return fmt.Sprintf("%s%sprefix=%s", base, sep, url.QueryEscape(prefix))
}

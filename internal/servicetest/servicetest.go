// Package servicetest finds the real services the ticketing tests need — a
// Redmine and a PostgreSQL — from the environment.
//
// Redmine: HOOKGEN_REDMINE_URL and HOOKGEN_REDMINE_KEY (an admin API key;
// .ci/redmine.sh writes both). When Redmine is not configured or unusable,
// the test fails if HOOKGEN_REQUIRE_SERVICES=1 and is skipped otherwise,
// with a message naming the variables. PostgreSQL comes from
// internal/services, which follows the same rule.
package servicetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookgen/hookgen/internal/services"
)

func required() bool { return services.Required() }

func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if required() {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// Redmine is a reachable Redmine with an admin API key.
type Redmine struct {
	URL, Key string
}

// NewRedmine returns the Redmine of HOOKGEN_REDMINE_URL/HOOKGEN_REDMINE_KEY
// after checking that the key works.
func NewRedmine(tb testing.TB) Redmine {
	tb.Helper()
	r := Redmine{URL: os.Getenv("HOOKGEN_REDMINE_URL"), Key: os.Getenv("HOOKGEN_REDMINE_KEY")}
	if r.URL == "" || r.Key == "" {
		unavailable(tb, "Redmine not configured: set HOOKGEN_REDMINE_URL and HOOKGEN_REDMINE_KEY (.ci/redmine.sh start writes them)")
		return r
	}
	code, err := r.call(context.Background(), http.MethodGet, "/users/current.json", "")
	if err != nil || code != http.StatusOK {
		unavailable(tb, "Redmine at HOOKGEN_REDMINE_URL=%s unusable with HOOKGEN_REDMINE_KEY (status %d, %v)", r.URL, code, err)
	}
	return r
}

// Project creates a private project with a unique identifier for this test
// and deletes it when the test ends. It returns the identifier.
func (r Redmine) Project(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	id := "t-" + hex.EncodeToString(b[:])
	body := fmt.Sprintf(`{"project":{"name":%q,"identifier":%q,"is_public":false,"tracker_ids":[1,2,3]}}`, id, id)
	code, err := r.call(context.Background(), http.MethodPost, "/projects.json", body)
	if err != nil || code != http.StatusCreated {
		tb.Fatalf("create Redmine project %s: status %d, %v", id, code, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = r.call(ctx, http.MethodDelete, "/projects/"+id+".json", "")
	})
	return id
}

func (r Redmine) call(ctx context.Context, method, path, body string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, r.URL+path, bytes.NewBufferString(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-Redmine-API-Key", r.Key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// Postgres returns a pool on a PostgreSQL schema of this test (see
// internal/services.PostgresURL for the variables and the isolation),
// closed when the test ends.
func Postgres(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), services.PostgresURL(tb))
	if err != nil {
		tb.Fatalf("postgres: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

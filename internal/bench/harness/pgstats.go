package harness

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
)

// WALSyncs returns how many times the PostgreSQL server at url has synced
// its WAL to disk: pg_stat_wal.wal_sync (PostgreSQL 14 to 17), else the
// WAL fsyncs of pg_stat_io (PostgreSQL 18 on).
func WALSyncs(ctx context.Context, url string) (int64, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("harness: wal fsyncs: %w", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	var n int64
	if err := conn.QueryRow(ctx, "SELECT wal_sync FROM pg_stat_wal").Scan(&n); err == nil {
		return n, nil
	}
	if err := conn.QueryRow(ctx, "SELECT coalesce(sum(fsyncs), 0)::bigint FROM pg_stat_io WHERE object = 'wal'").Scan(&n); err != nil {
		return 0, fmt.Errorf("harness: wal fsyncs: %w", err)
	}
	return n, nil
}

// PrepareSchema creates a schema of its own for one run on the PostgreSQL
// server at base and returns base with search_path set to it, and the
// function that drops it (with everything the run wrote) at the end.
func PrepareSchema(ctx context.Context, base string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", nil, fmt.Errorf("harness: PostgreSQL unreachable (set HOOKGEN_POSTGRES_URL): %w", err)
	}
	defer func() { _ = conn.Close(ctx) }()
	schema := fmt.Sprintf("hookgen_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		return "", nil, fmt.Errorf("harness: create schema: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, fmt.Errorf("harness: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			_ = c.Close(ctx)
		}
	}
	return u.String(), drop, nil
}

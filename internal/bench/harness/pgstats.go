package harness

import (
	"context"
	"fmt"

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

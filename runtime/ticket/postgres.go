package ticket

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is a Correlations store in a PostgreSQL table, shared by every
// replica of a receiver: of concurrent Claims on one key across processes,
// at most one wins (the row's update is atomic).
type Postgres struct {
	pool  *pgxpool.Pool
	table string
}

// PostgresOption configures NewPostgres.
type PostgresOption func(*Postgres)

// WithTable sets the table name (default hookgen_ticket_correlations). It
// must be a plain SQL identifier.
func WithTable(name string) PostgresOption {
	return func(p *Postgres) { p.table = name }
}

// NewPostgres returns a store on pool and creates its table if needed.
func NewPostgres(ctx context.Context, pool *pgxpool.Pool, opts ...PostgresOption) (*Postgres, error) {
	p := &Postgres{pool: pool, table: "hookgen_ticket_correlations"}
	for _, o := range opts {
		o(p)
	}
	if !isIdent(p.table) {
		return nil, fmt.Errorf("%w: table name %q", ErrInvalid, p.table)
	}
	_, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+p.table+` (
		key text PRIMARY KEY,
		ticket_id text NOT NULL DEFAULT '',
		generation integer NOT NULL DEFAULT 0,
		resolved boolean NOT NULL DEFAULT false,
		fingerprint text NOT NULL DEFAULT '',
		at bigint NOT NULL DEFAULT 0,
		token text NOT NULL DEFAULT '',
		lease_until timestamptz)`)
	if err == nil {
		// Tables created before the column existed.
		_, err = pool.Exec(ctx, `ALTER TABLE `+p.table+` ADD COLUMN IF NOT EXISTS at bigint NOT NULL DEFAULT 0`)
	}
	if err != nil {
		return nil, fmt.Errorf("ticket: create table %s: %w", p.table, err)
	}
	return p, nil
}

func isIdent(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for i, r := range s {
		if r != '_' && (r < 'a' || r > 'z') && (i == 0 || r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Get returns the entry for key.
func (p *Postgres) Get(ctx context.Context, key string) (Entry, bool, error) {
	var e Entry
	var at int64
	err := p.pool.QueryRow(ctx, `SELECT ticket_id, generation, resolved, fingerprint, at FROM `+p.table+` WHERE key=$1`, key).
		Scan(&e.TicketID, &e.Generation, &e.Resolved, &e.Fingerprint, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("ticket: get %q: %w", key, err)
	}
	e.At = fromNanos(at)
	return e, true, nil
}

// Claim takes the right to open key's ticket; see Correlations. The
// database's clock decides whether a lease expired.
func (p *Postgres) Claim(ctx context.Context, key string, lease time.Duration) (Claim, error) {
	if key == "" || lease <= 0 {
		return Claim{}, fmt.Errorf("%w: empty key or lease", ErrInvalid)
	}
	token := newToken()
	if _, err := p.pool.Exec(ctx, `INSERT INTO `+p.table+` (key) VALUES ($1) ON CONFLICT (key) DO NOTHING`, key); err != nil {
		return Claim{}, fmt.Errorf("ticket: claim %q: %w", key, err)
	}
	var e Entry
	var at int64
	err := p.pool.QueryRow(ctx, `UPDATE `+p.table+` SET
		generation = CASE WHEN resolved OR generation = 0 THEN generation + 1 ELSE generation END,
		ticket_id = CASE WHEN resolved THEN '' ELSE ticket_id END,
		fingerprint = CASE WHEN resolved THEN '' ELSE fingerprint END,
		resolved = false,
		token = $2,
		lease_until = now() + make_interval(secs => $3)
		WHERE key = $1 AND (ticket_id = '' OR resolved)
		  AND (token = '' OR lease_until IS NULL OR lease_until < now())
		RETURNING ticket_id, generation, resolved, fingerprint, at`,
		key, token, lease.Seconds()).Scan(&e.TicketID, &e.Generation, &e.Resolved, &e.Fingerprint, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		cur, _, gerr := p.Get(ctx, key)
		return Claim{Entry: cur}, gerr
	}
	if err != nil {
		return Claim{}, fmt.Errorf("ticket: claim %q: %w", key, err)
	}
	e.At = fromNanos(at)
	return Claim{Won: true, Token: token, Entry: e}, nil
}

// Record stores the ticket created under the claim token.
func (p *Postgres) Record(ctx context.Context, key, token string, e Entry) error {
	return p.settle(ctx, key, token, `ticket_id=$3, fingerprint=$4, at=$5, resolved=false,`, e.TicketID, e.Fingerprint, nanos(e.At))
}

// Release ends the claim token without a ticket.
func (p *Postgres) Release(ctx context.Context, key, token string) error {
	return p.settle(ctx, key, token, ``)
}

func (p *Postgres) settle(ctx context.Context, key, token, set string, args ...any) error {
	tag, err := p.pool.Exec(ctx, `UPDATE `+p.table+` SET `+set+` token='', lease_until=NULL WHERE key=$1 AND token=$2`,
		append([]any{key, token}, args...)...)
	if err != nil {
		return fmt.Errorf("ticket: settle %q: %w", key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrLeaseLost, key)
	}
	return nil
}

// Swap replaces old with new atomically (one statement with the old
// values in its WHERE; an absent key counts as a zero Entry); see
// Correlations.
func (p *Postgres) Swap(ctx context.Context, key string, old, new Entry) (bool, error) {
	if old == (Entry{}) {
		tag, err := p.pool.Exec(ctx, `INSERT INTO `+p.table+` (key, fingerprint, resolved, at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (key) DO NOTHING`, key, new.Fingerprint, new.Resolved, nanos(new.At))
		if err != nil {
			return false, fmt.Errorf("ticket: swap %q: %w", key, err)
		}
		if tag.RowsAffected() == 1 {
			return true, nil
		}
	}
	tag, err := p.pool.Exec(ctx, `UPDATE `+p.table+` SET fingerprint=$7, resolved=$8, at=$9
		WHERE key=$1 AND ticket_id=$2 AND generation=$3 AND fingerprint=$4 AND resolved=$5 AND at=$6`,
		key, old.TicketID, old.Generation, old.Fingerprint, old.Resolved, nanos(old.At), new.Fingerprint, new.Resolved, nanos(new.At))
	if err != nil {
		return false, fmt.Errorf("ticket: swap %q: %w", key, err)
	}
	return tag.RowsAffected() == 1, nil
}

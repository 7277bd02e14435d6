package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookgen/hookgen/runtime/store"
)

// Acquire implements store.OrderStore in one upsert: the row is locked by
// INSERT … ON CONFLICT DO UPDATE, whose WHERE clause is the acceptance
// rule, evaluated on the newest committed row. When it refuses, a read
// says why; if the row became acceptable in between, Acquire tries again.
func (s *Store) Acquire(ctx context.Context, entity string, pos store.Position, holder string, lease time.Duration) (store.OrderClaim, error) {
	if err := s.begin(ctx, "acquire", entity); err != nil {
		return store.OrderClaim{}, err
	}
	if err := positive("acquire", "lease", lease); err != nil {
		return store.OrderClaim{}, err
	}
	token := store.NewToken()
	for range 8 {
		var until time.Time
		err := s.pool.QueryRow(ctx, `
			INSERT INTO hookgen_orders AS o
				(entity, version, has_version, terminal, expires, holder, hold_token, hold_until)
			VALUES ($1, 0, false, false, now() + $5 * interval '1 microsecond', $4, $6,
			        now() + $5 * interval '1 microsecond')
			ON CONFLICT (entity) DO UPDATE SET
				version = CASE WHEN o.expires <= now() THEN 0 ELSE o.version END,
				has_version = o.expires > now() AND o.has_version,
				terminal = o.expires > now() AND o.terminal,
				expires = CASE WHEN o.expires <= now() THEN EXCLUDED.expires
				               ELSE GREATEST(o.expires, EXCLUDED.expires) END,
				holder = EXCLUDED.holder,
				hold_token = EXCLUDED.hold_token,
				hold_until = EXCLUDED.hold_until
			WHERE o.expires <= now() OR (
				NOT o.terminal
				AND NOT ($3 AND o.has_version AND $2 < o.version)
				AND (o.hold_token = '' OR o.hold_until <= now() OR o.holder = $4))
			RETURNING hold_until`,
			[]byte(entity), pos.Version, pos.HasVersion, []byte(holder), micros(lease), token).Scan(&until)
		if err == nil {
			return store.OrderClaim{Verdict: store.Accept, Token: token, Until: until}, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return store.OrderClaim{}, s.fail("acquire", err)
		}
		var (
			version              int64
			hasVersion, terminal bool
			live, held           bool
			holdUntil            time.Time
			heldBy               []byte
		)
		err = s.pool.QueryRow(ctx, `
			SELECT version, has_version, terminal, expires > now(),
			       hold_token <> '' AND hold_until > now(), GREATEST(hold_until, now()), holder
			FROM hookgen_orders WHERE entity = $1`, []byte(entity)).
			Scan(&version, &hasVersion, &terminal, &live, &held, &holdUntil, &heldBy)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return store.OrderClaim{}, s.fail("acquire", err)
		}
		switch {
		case !live:
		case terminal:
			return store.OrderClaim{Verdict: store.AfterTerminal}, nil
		case pos.HasVersion && hasVersion && pos.Version < version:
			return store.OrderClaim{Verdict: store.Stale}, nil
		case held && string(heldBy) != holder:
			return store.OrderClaim{Verdict: store.Busy, Until: holdUntil}, nil
		}
	}
	return store.OrderClaim{}, fmt.Errorf("pgstore: acquire %q: the entity kept changing", entity)
}

// CommitOrder implements store.OrderStore.
func (s *Store) CommitOrder(ctx context.Context, entity, token string, pos store.Position, retention time.Duration) error {
	if err := s.begin(ctx, "commit order", entity); err != nil {
		return err
	}
	if err := positive("commit order", "retention", retention); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE hookgen_orders SET
			version = CASE WHEN $3 AND (NOT has_version OR $2 > version) THEN $2 ELSE version END,
			has_version = has_version OR $3,
			terminal = terminal OR $4,
			expires = now() + $6 * interval '1 microsecond',
			holder = '', hold_token = '', hold_until = '-infinity'
		WHERE entity = $1 AND hold_token = $5 AND $5 <> '' AND expires > now()`,
		[]byte(entity), pos.Version, pos.HasVersion, pos.Terminal, token, micros(retention))
	if err != nil {
		return s.fail("commit order", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: commit order %q: %w", entity, store.ErrLeaseLost)
	}
	return nil
}

// AbandonOrder implements store.OrderStore.
func (s *Store) AbandonOrder(ctx context.Context, entity, token string) error {
	if err := s.begin(ctx, "abandon order", entity); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE hookgen_orders SET holder = '', hold_token = '', hold_until = '-infinity'
		WHERE entity = $1 AND hold_token = $2 AND $2 <> '' AND expires > now()`, []byte(entity), token)
	if err != nil {
		return s.fail("abandon order", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: abandon order %q: %w", entity, store.ErrLeaseLost)
	}
	return nil
}

// ExtendOrder implements store.OrderStore.
func (s *Store) ExtendOrder(ctx context.Context, entity, token string, lease time.Duration) (time.Time, error) {
	if err := s.begin(ctx, "extend order", entity); err != nil {
		return time.Time{}, err
	}
	if err := positive("extend order", "lease", lease); err != nil {
		return time.Time{}, err
	}
	var until time.Time
	err := s.pool.QueryRow(ctx, `
		UPDATE hookgen_orders SET
			hold_until = now() + $3 * interval '1 microsecond',
			expires = GREATEST(expires, now() + $3 * interval '1 microsecond')
		WHERE entity = $1 AND hold_token = $2 AND $2 <> '' AND hold_until > now() AND expires > now()
		RETURNING hold_until`, []byte(entity), token, micros(lease)).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, fmt.Errorf("pgstore: extend order %q: %w", entity, store.ErrLeaseLost)
	}
	if err != nil {
		return time.Time{}, s.fail("extend order", err)
	}
	return until, nil
}

// Check implements store.OrderStore (the two-step form).
func (s *Store) Check(ctx context.Context, entity string, version int64, hasVersion, terminal bool) (store.Verdict, error) {
	if err := s.begin(ctx, "check", entity); err != nil {
		return 0, err
	}
	var v int64
	var has, term bool
	err := s.pool.QueryRow(ctx, `
		SELECT version, has_version, terminal FROM hookgen_orders WHERE entity = $1 AND expires > now()`,
		[]byte(entity)).Scan(&v, &has, &term)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return store.Accept, nil
	case err != nil:
		return 0, s.fail("check", err)
	case term:
		return store.AfterTerminal, nil
	case hasVersion && has && version < v:
		return store.Stale, nil
	}
	return store.Accept, nil
}

// Commit implements store.OrderStore (the two-step form).
func (s *Store) Commit(ctx context.Context, entity string, version int64, hasVersion, terminal bool, retention time.Duration) error {
	if err := s.begin(ctx, "commit", entity); err != nil {
		return err
	}
	if err := positive("commit", "retention", retention); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO hookgen_orders AS o
			(entity, version, has_version, terminal, expires, holder, hold_token, hold_until)
		VALUES ($1, CASE WHEN $3 THEN $2::bigint ELSE 0 END, $3, $4, now() + $5 * interval '1 microsecond', '', '', '-infinity')
		ON CONFLICT (entity) DO UPDATE SET
			version = CASE
				WHEN o.expires <= now() THEN EXCLUDED.version
				WHEN $3 AND (NOT o.has_version OR $2 > o.version) THEN $2
				ELSE o.version END,
			has_version = (o.expires > now() AND o.has_version) OR $3,
			terminal = (o.expires > now() AND o.terminal) OR $4,
			expires = GREATEST(EXCLUDED.expires, o.hold_until)`,
		[]byte(entity), version, hasVersion, terminal, micros(retention))
	if err != nil {
		return s.fail("commit", err)
	}
	return nil
}

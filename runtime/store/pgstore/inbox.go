package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookgen/hookgen/runtime/store"
)

// entryColumns are the columns scanEntry reads, in its order.
const entryColumns = `family, id, webhook, event, key, entity, method, path, raw_query, header, body,
	received_at, state, reason, attempts, NULLIF(next_at, '-infinity'), last_error, duplicates, updated_at`

// scanEntry reads one row of entryColumns (plus extra destinations).
func scanEntry(row pgx.Row, extra ...any) (store.Entry, error) {
	var (
		e                  store.Entry
		family, id, entity []byte
		header             []byte
		state              int16
		nextAt             *time.Time
	)
	dest := append([]any{&family, &id, &e.Webhook, &e.Event, &e.Key, &entity, &e.Method, &e.Path, &e.RawQuery,
		&header, &e.Body, &e.ReceivedAt, &state, &e.Reason, &e.Attempts, &nextAt, &e.LastError,
		&e.Duplicates, &e.UpdatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.Entry{}, err
	}
	e.Family, e.ID, e.Entity, e.State = string(family), string(id), string(entity), store.EntryState(state)
	if len(header) > 0 {
		if err := json.Unmarshal(header, &e.Header); err != nil {
			return store.Entry{}, fmt.Errorf("header of %s/%s: %w", e.Family, e.ID, err)
		}
	}
	if nextAt != nil {
		e.NextAt = nextAt.UTC()
	}
	e.ReceivedAt, e.UpdatedAt = e.ReceivedAt.UTC(), e.UpdatedAt.UTC()
	return e, nil
}

// text makes s storable in a text column: valid UTF-8 without NUL.
// (Keys, families, ids and entities are bytea and kept exactly.)
func text(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// timeOrNil is nil for the zero time, which the SQL stores as -infinity.
func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Put implements store.Inbox: one INSERT, committed when Put returns.
func (s *Store) Put(ctx context.Context, e store.Entry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: put: %w", err)
	}
	e, err := store.NormalizeEntry(e, time.Now())
	if err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	var header []byte
	if e.Header != nil {
		if header, err = json.Marshal(e.Header); err != nil {
			return fmt.Errorf("pgstore: put: header: %w", err)
		}
	}
	if e.Body == nil {
		e.Body = []byte{}
	}
	var inserted bool
	err = s.inEntity(ctx, e.Family, e.Entity, func(q querier) error {
		return q.QueryRow(ctx, `
		INSERT INTO hookgen_inbox (family, id, webhook, event, key, entity, method, path, raw_query, header, body,
			received_at, state, reason, attempts, next_at, last_error, duplicates, updated_at, token, lease_until,
			blocked)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
			COALESCE($16::timestamptz, '-infinity'), $17, $18, now(), '', '-infinity',
			$13::smallint = 1 AND $6 <> ''::bytea AND EXISTS (SELECT 1 FROM hookgen_inbox
				WHERE state = 1 AND entity <> ''::bytea AND family = $1 AND entity = $6 AND (received_at, id) < ($12, $2)))
		ON CONFLICT (family, id) DO UPDATE SET duplicates = hookgen_inbox.duplicates + 1
		RETURNING xmax = 0`,
			[]byte(e.Family), []byte(e.ID), text(e.Webhook), text(e.Event), text(e.Key), []byte(e.Entity),
			text(e.Method), text(e.Path), text(e.RawQuery), header, e.Body, e.ReceivedAt, int16(e.State),
			text(e.Reason), e.Attempts, timeOrNil(e.NextAt), store.CutError(text(e.LastError)), e.Duplicates).Scan(&inserted)
	})
	if err != nil {
		return s.fail("put", err)
	}
	if !inserted {
		return fmt.Errorf("pgstore: put %s/%s: %w", e.Family, e.ID, store.ErrDuplicate)
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inEntity runs fn on the pool when entity is empty, else in a
// transaction holding the entity's advisory lock, so that Put, Settle and
// Replay of one entity keep the blocked flags in step (see migration
// 0002). Locks are taken before any row, in every caller.
func (s *Store) inEntity(ctx context.Context, family, entity string, fn func(querier) error) error {
	if entity == "" {
		return fn(s.pool)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, entityLock(family, entity)); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// entityLock is the advisory lock key of an entity.
func entityLock(family, entity string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(family))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(entity))
	return int64(h.Sum64())
}

// promoteSQL unblocks the head of an entity ($1 family, $2 entity).
const promoteSQL = `
	UPDATE hookgen_inbox SET blocked = false
	WHERE blocked AND (family, id) = (SELECT family, id FROM hookgen_inbox
		WHERE state = 1 AND entity <> ''::bytea AND family = $1 AND entity = $2 ORDER BY received_at, id LIMIT 1)`

// unblockSQL unblocks every blocked entry that is its entity's head: the
// repair after Purge, and in Sweep.
const unblockSQL = `
	UPDATE hookgen_inbox o SET blocked = false
	WHERE o.blocked AND o.state = 1 AND NOT EXISTS (SELECT 1 FROM hookgen_inbox e
		WHERE e.state = 1 AND e.entity <> ''::bytea AND e.family = o.family AND e.entity = o.entity
		  AND (e.received_at, e.id) < (o.received_at, o.id))`

// entityOf returns the entity of an entry ("" when absent).
func (s *Store) entityOf(ctx context.Context, family, id string) (string, error) {
	var entity []byte
	err := s.pool.QueryRow(ctx, `SELECT entity FROM hookgen_inbox WHERE family = $1 AND id = $2`,
		[]byte(family), []byte(id)).Scan(&entity)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return string(entity), err
}

// Lease implements store.Inbox with SELECT … FOR UPDATE SKIP LOCKED, so
// that replicas leasing at once take different entries without waiting on
// each other. An entry of an entity is a candidate only when no earlier
// Pending entry of the entity exists; the earlier one, leased or not,
// stays Pending until settled, so the entity's entries go one at a time.
func (s *Store) Lease(ctx context.Context, n int, lease time.Duration) ([]store.Leased, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pgstore: lease: %w", err)
	}
	if err := positive("lease", "lease", lease); err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, nil
	}
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `
		WITH cand AS (
			SELECT i.family AS cand_family, i.id AS cand_id FROM hookgen_inbox i
			WHERE i.state = 1 AND NOT i.blocked AND GREATEST(i.next_at, i.lease_until) <= now()
			  AND (i.entity = ''::bytea OR NOT EXISTS (
				SELECT 1 FROM hookgen_inbox e
				WHERE e.state = 1 AND e.entity <> ''::bytea AND e.family = i.family AND e.entity = i.entity
				  AND (e.received_at, e.id) < (i.received_at, i.id)))
			ORDER BY GREATEST(i.next_at, i.lease_until), i.received_at, i.id
			LIMIT $1
			FOR UPDATE SKIP LOCKED
		)
		UPDATE hookgen_inbox t SET
			token = gen_random_uuid()::text,
			lease_until = now() + $2 * interval '1 microsecond',
			attempts = t.attempts + 1,
			updated_at = now()
		FROM cand WHERE t.family = cand_family AND t.id = cand_id
		RETURNING `+entryColumns+`, token, nextval('hookgen_fence')`,
		n, micros(lease))
	if err != nil {
		return nil, s.fail("lease", err)
	}
	defer rows.Close()
	var out []store.Leased
	for rows.Next() {
		var l store.Leased
		e, err := scanEntry(rows, &l.Token, &l.Fence)
		if err != nil {
			return nil, s.fail("lease", err)
		}
		l.Entry = e
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("lease", err)
	}
	return out, nil
}

// ExtendLease implements store.Inbox.
func (s *Store) ExtendLease(ctx context.Context, id, family, token string, lease time.Duration) error {
	if err := s.entryCall(ctx, "extend lease", family, id); err != nil {
		return err
	}
	if err := positive("extend lease", "lease", lease); err != nil {
		return err
	}
	return s.leased(ctx, "extend lease", family, id, `
		UPDATE hookgen_inbox SET lease_until = now() + $4 * interval '1 microsecond'
		WHERE family = $1 AND id = $2 AND state = 1 AND token = $3 AND $3 <> '' AND lease_until > now()`,
		[]byte(family), []byte(id), token, micros(lease))
}

// Settle implements store.Inbox. A holder whose lease ended may still
// settle as long as the entry was not leased again.
func (s *Store) Settle(ctx context.Context, id, family, token string, st store.Settlement) error {
	if err := s.entryCall(ctx, "settle", family, id); err != nil {
		return err
	}
	if err := store.CheckSettlement(st); err != nil {
		return err
	}
	var nextAt any
	entity := ""
	if st.State == store.Pending {
		nextAt = timeOrNil(st.NextAt)
	} else {
		// Leaving Pending: the entity's next entry becomes its head.
		var err error
		if entity, err = s.entityOf(ctx, family, id); err != nil {
			return s.fail("settle", err)
		}
	}
	var tag pgconn.CommandTag
	err := s.inEntity(ctx, family, entity, func(q querier) error {
		var err error
		tag, err = q.Exec(ctx, `
		UPDATE hookgen_inbox SET
			state = $4, reason = $5, last_error = $6,
			next_at = COALESCE($7::timestamptz, '-infinity'),
			token = '', lease_until = '-infinity', updated_at = now()
		WHERE family = $1 AND id = $2 AND state = 1 AND token = $3 AND $3 <> ''`,
			[]byte(family), []byte(id), token, int16(st.State), text(st.Reason), store.CutError(text(st.Err)), nextAt)
		if err != nil || tag.RowsAffected() == 0 || entity == "" {
			return err
		}
		_, err = q.Exec(ctx, promoteSQL, []byte(family), []byte(entity))
		return err
	})
	if err != nil {
		return s.fail("settle", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: settle %s/%s: %w", family, id, store.ErrLeaseLost)
	}
	return nil
}

// entryCall checks the context, family and id, and that s is open.
func (s *Store) entryCall(ctx context.Context, op, family, id string) error {
	if err := store.CheckEntryKey(ctx, op, family, id); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// leased runs an UPDATE of a leased entry: no row is store.ErrLeaseLost.
func (s *Store) leased(ctx context.Context, op, family, id, sql string, args ...any) error {
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return s.fail(op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: %s %s/%s: %w", op, family, id, store.ErrLeaseLost)
	}
	return nil
}

// GetEntry implements store.Inbox.
func (s *Store) GetEntry(ctx context.Context, family, id string) (store.Entry, error) {
	if err := s.entryCall(ctx, "get entry", family, id); err != nil {
		return store.Entry{}, err
	}
	e, err := scanEntry(s.pool.QueryRow(ctx, `SELECT `+entryColumns+` FROM hookgen_inbox WHERE family = $1 AND id = $2`,
		[]byte(family), []byte(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Entry{}, fmt.Errorf("pgstore: get entry %s/%s: %w", family, id, store.ErrNotFound)
	}
	if err != nil {
		return store.Entry{}, s.fail("get entry", err)
	}
	return e, nil
}

// where builds the WHERE clause of q (with its cursor when withCursor).
func where(q store.Query, withCursor bool) (string, []any, error) {
	conds := []string{"true"}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Family != "" {
		conds = append(conds, "family = "+arg([]byte(q.Family)))
	}
	if q.State != 0 {
		conds = append(conds, "state = "+arg(int16(q.State)))
	}
	if !q.Since.IsZero() {
		conds = append(conds, "received_at >= "+arg(store.Micro(q.Since)))
	}
	if !q.Before.IsZero() {
		conds = append(conds, "received_at < "+arg(store.Micro(q.Before)))
	}
	if withCursor && q.After != "" {
		c, err := store.ParseCursor(q.After)
		if err != nil {
			return "", nil, err
		}
		at := time.UnixMicro(c.ReceivedAt).UTC()
		if q.Family != "" {
			// The family is fixed: compare in the family index's order.
			conds = append(conds, fmt.Sprintf("(received_at, id) < (%s, %s)", arg(at), arg([]byte(c.ID))))
		} else {
			conds = append(conds, fmt.Sprintf("(received_at, family, id) < (%s, %s, %s)", arg(at), arg([]byte(c.Family)), arg([]byte(c.ID))))
		}
	}
	return strings.Join(conds, " AND "), args, nil
}

// List implements store.Inbox: one indexed query per page (an index by
// time, by state, by family and by family and state), so a page costs its
// own rows whatever the number stored.
func (s *Store) List(ctx context.Context, q store.Query) (store.Page, error) {
	if err := checkQuery(ctx, "list", q); err != nil {
		return store.Page{}, err
	}
	if s.closed.Load() {
		return store.Page{}, store.ErrClosed
	}
	cond, args, err := where(q, true)
	if err != nil {
		return store.Page{}, err
	}
	limit := store.PageLimit(q)
	rows, err := s.pool.Query(ctx, `SELECT `+entryColumns+` FROM hookgen_inbox WHERE `+cond+
		` ORDER BY received_at DESC, family DESC, id DESC LIMIT `+strconv.Itoa(limit+1), args...)
	if err != nil {
		return store.Page{}, s.fail("list", err)
	}
	defer rows.Close()
	var p store.Page
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return store.Page{}, s.fail("list", err)
		}
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return store.Page{}, s.fail("list", err)
	}
	if len(p.Entries) > limit {
		p.Entries = p.Entries[:limit]
		p.Next = store.CursorOf(p.Entries[limit-1]).String()
	}
	return p, nil
}

// checkQuery rejects a done context and an unknown state.
func checkQuery(ctx context.Context, op string, q store.Query) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pgstore: %s: %w", op, err)
	}
	if q.State < 0 || q.State > store.Dead {
		return fmt.Errorf("pgstore: %s: state %d: %w", op, q.State, store.ErrInvalid)
	}
	return nil
}

// Replay implements store.Inbox.
func (s *Store) Replay(ctx context.Context, family, id string) error {
	if err := s.entryCall(ctx, "replay", family, id); err != nil {
		return err
	}
	entity, err := s.entityOf(ctx, family, id)
	if err != nil {
		return s.fail("replay", err)
	}
	var exists bool
	err = s.inEntity(ctx, family, entity, func(q querier) error {
		return q.QueryRow(ctx, `
		WITH r AS (
			UPDATE hookgen_inbox o SET state = 1, reason = '', attempts = 0, next_at = '-infinity',
				token = '', lease_until = '-infinity', updated_at = now(),
				blocked = o.entity <> ''::bytea AND EXISTS (SELECT 1 FROM hookgen_inbox e
					WHERE e.state = 1 AND e.entity <> ''::bytea AND e.family = o.family AND e.entity = o.entity
					  AND (e.received_at, e.id) < (o.received_at, o.id))
			WHERE o.family = $1 AND o.id = $2 AND o.state <> 1
			RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM r) OR EXISTS (SELECT 1 FROM hookgen_inbox WHERE family = $1 AND id = $2)`,
			[]byte(family), []byte(id)).Scan(&exists)
	})
	if err != nil {
		return s.fail("replay", err)
	}
	if !exists {
		return fmt.Errorf("pgstore: replay %s/%s: %w", family, id, store.ErrNotFound)
	}
	return nil
}

// Purge implements store.Inbox in one DELETE.
func (s *Store) Purge(ctx context.Context, q store.Query) (int, error) {
	if err := checkQuery(ctx, "purge", q); err != nil {
		return 0, err
	}
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	cond, args, err := where(q, false)
	if err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM hookgen_inbox WHERE `+cond, args...)
	if err != nil {
		return 0, s.fail("purge", err)
	}
	// A purged head leaves its entity's next entry blocked: unblock the
	// new heads. (A Put racing with this can leave one blocked until the
	// next Sweep, which repeats the repair.)
	if _, err := s.pool.Exec(ctx, unblockSQL); err != nil {
		return int(tag.RowsAffected()), s.fail("purge", err)
	}
	return int(tag.RowsAffected()), nil
}

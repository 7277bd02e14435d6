package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
	"github.com/hookgen/hookgen/runtime/store/storetest"
)

// open returns a store on url, closed when the test ends.
func open(t *testing.T, url string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (a, b store.Backend) {
		url := services.PostgresURL(t)    // a fresh schema per case
		return open(t, url), open(t, url) // two pools: two independent clients
	})
}

func TestMigrateConcurrently(t *testing.T) {
	url := services.PostgresURL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() { errs[i] = pgstore.Migrate(ctx, url) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err, "replicas migrating at once all succeed")
	}
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer conn.Close(ctx)
	var n, distinct int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM hookgen_schema_migrations`).Scan(&n, &distinct))
	assert.Equal(t, distinct, n, "each migration applied once")
	assert.Positive(t, n)
	require.NoError(t, pgstore.Migrate(ctx, url), "migrating a migrated schema is a no-op")
	var again int
	require.NoError(t, conn.QueryRow(ctx, `SELECT count(*) FROM hookgen_schema_migrations`).Scan(&again))
	assert.Equal(t, n, again)
	// Open applied nothing more and works.
	s := open(t, url)
	c, err := s.Claim(ctx, "k", 1e9)
	require.NoError(t, err)
	assert.True(t, c.Won)
}

func TestOpenWithoutMigrate(t *testing.T) {
	url := services.PostgresURL(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, url, pgstore.WithoutMigrate())
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Claim(ctx, "k", 1e9)
	require.Error(t, err, "no tables without a migration")
	require.NoError(t, pgstore.Migrate(ctx, url))
	c, err := s.Claim(ctx, "k", 1e9)
	require.NoError(t, err)
	assert.True(t, c.Won)
}

func TestHostileBytes(t *testing.T) {
	s := open(t, services.PostgresURL(t))
	ctx := context.Background()
	key := "k\x00\xff\xfe"
	c, err := s.Claim(ctx, key, 1e9)
	require.NoError(t, err)
	require.True(t, c.Won)
	other, err := s.Claim(ctx, "k\x00\xff", 1e9)
	require.NoError(t, err)
	assert.True(t, other.Won, "keys are compared as bytes")
	st, err := s.Get(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, store.Processing, st)

	e := store.Entry{Family: "fam", ID: "id\x00\xff", Entity: "e\x00", Event: "bad\x00\xffevent", Body: []byte{0, 1, 2}}
	require.NoError(t, s.Put(ctx, e))
	got, err := s.GetEntry(ctx, "fam", "id\x00\xff")
	require.NoError(t, err)
	assert.Equal(t, e.ID, got.ID, "ids are kept exactly")
	assert.Equal(t, e.Entity, got.Entity)
	assert.Equal(t, e.Body, got.Body)
	assert.Equal(t, "bad\uFFFD\uFFFDevent", got.Event, "display fields are kept as valid UTF-8")
}

// BenchmarkPut measures durable acknowledgements: Puts from 32 goroutines
// per core, each returning after its COMMIT; without an entity, and with
// one of 100 entities (a transaction holding the entity's lock).
func BenchmarkPut(b *testing.B) {
	for _, entities := range []int{0, 100} {
		b.Run(fmt.Sprint("Entities", entities), func(b *testing.B) {
			s, err := pgstore.Open(context.Background(), services.PostgresURL(b))
			require.NoError(b, err)
			defer s.Close()
			ctx := context.Background()
			body := []byte(`{"id":"evt_123","type":"alert.created","data":{"severity":"critical","host":"web-1"}}`)
			var n atomic.Int64
			b.SetParallelism(32)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					e := store.Entry{Family: "fam", ID: fmt.Sprint("d", i), Event: "alert.created", Body: body}
					if entities > 0 {
						e.Entity = fmt.Sprint("e", i%int64(entities))
					}
					if err := s.Put(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "acks/s")
		})
	}
}

func TestPoolSize(t *testing.T) {
	url := services.PostgresURL(t)
	assert.Equal(t, int32(pgstore.DefaultMaxConns), pgstore.MaxConns(open(t, url)))
	assert.Equal(t, int32(3), pgstore.MaxConns(open(t, url+"&pool_max_conns=3")), "the URL's pool_max_conns wins")
}

// BenchmarkList1M lists pages of an inbox of 1,000,000 rows (10 families,
// 1 in 10 dead), loaded with one INSERT … SELECT: the first page, a page
// 5,000 rows down, and filtered pages.
func BenchmarkList1M(b *testing.B) {
	url := services.PostgresURL(b)
	s, err := pgstore.Open(context.Background(), url)
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(b, err)
	defer func() { _ = conn.Close(ctx) }()
	start := time.Now()
	_, err = conn.Exec(ctx, `
		INSERT INTO hookgen_inbox (family, id, webhook, event, key, entity, method, path, raw_query, header, body,
			received_at, state, reason, attempts, next_at, last_error, duplicates, updated_at, token, lease_until)
		SELECT convert_to('fam' || (i % 10), 'UTF8'), convert_to('d' || lpad(i::text, 7, '0'), 'UTF8'),
			'', 'created', '', ''::bytea, 'POST', '/', '', NULL, '\x7b7d'::bytea,
			'2026-01-01'::timestamptz + i * interval '1 millisecond', CASE WHEN i % 10 = 3 THEN 3 ELSE 1 END,
			'', 0, '-infinity', '', 0, now(), '', '-infinity'
		FROM generate_series(0, 999999) AS i`)
	require.NoError(b, err)
	_, err = conn.Exec(ctx, `ANALYZE hookgen_inbox`)
	require.NoError(b, err)
	b.Logf("loaded 1,000,000 rows in %v", time.Since(start))
	deep, err := s.List(ctx, store.Query{Limit: 1})
	require.NoError(b, err)
	for range 5 {
		deep, err = s.List(ctx, store.Query{After: deep.Next, Limit: store.MaxPageSize})
		require.NoError(b, err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	queries := []struct {
		name string
		q    store.Query
	}{
		{"FirstPage", store.Query{}},
		{"DeepPage", store.Query{After: deep.Next}},
		{"Family", store.Query{Family: "fam7"}},
		{"DeadAllFamilies", store.Query{State: store.Dead}},
		{"FamilyDead", store.Query{Family: "fam3", State: store.Dead}},
		{"Since", store.Query{Since: base.Add(500 * time.Second)}},
	}
	for _, tc := range queries {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := s.List(ctx, tc.q)
				if err != nil || len(p.Entries) != store.DefaultPageSize {
					b.Fatalf("list: %d entries, %v", len(p.Entries), err)
				}
			}
		})
	}
}

func TestSweep(t *testing.T) {
	url := services.PostgresURL(t)
	ctx := context.Background()
	s := open(t, url)
	for _, key := range []string{"short1", "short2", "long"} {
		c, err := s.Claim(ctx, key, time.Minute)
		require.NoError(t, err)
		ret := 50 * time.Millisecond
		if key == "long" {
			ret = time.Hour
		}
		require.NoError(t, s.Complete(ctx, key, c.Token, ret))
	}
	require.NoError(t, s.Commit(ctx, "entity", 1, true, false, 50*time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	n, err := s.Sweep(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "two claims and one entity expired")
	st, err := s.Get(ctx, "long")
	require.NoError(t, err)
	assert.Equal(t, store.Done, st)

	// The background sweeper does the same on its own.
	bg, err := pgstore.Open(ctx, url, pgstore.WithSweepInterval(50*time.Millisecond))
	require.NoError(t, err)
	defer bg.Close()
	c, err := bg.Claim(ctx, "short3", time.Minute)
	require.NoError(t, err)
	require.NoError(t, bg.Complete(ctx, "short3", c.Token, 10*time.Millisecond))
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	require.Eventually(t, func() bool {
		var rows int
		err := conn.QueryRow(ctx, `SELECT count(*) FROM hookgen_claims`).Scan(&rows)
		return err == nil && rows == 1
	}, 5*time.Second, 20*time.Millisecond, "only the unexpired claim is left")
	require.NoError(t, bg.Close())
	_, err = bg.Sweep(ctx)
	require.ErrorIs(t, err, store.ErrClosed)
}

// BenchmarkClaimComplete measures synchronous-mode deliveries: a Claim
// and a Complete per delivery, from 32 goroutines per core.
func BenchmarkClaimComplete(b *testing.B) {
	s, err := pgstore.Open(context.Background(), services.PostgresURL(b))
	require.NoError(b, err)
	defer s.Close()
	benchClaimComplete(b, s)
}

func benchClaimComplete(b *testing.B, s store.Store) {
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			key := fmt.Sprint("k", n.Add(1))
			c, err := s.Claim(ctx, key, time.Minute)
			if err == nil {
				err = s.Complete(ctx, key, c.Token, time.Hour)
			}
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "deliveries/s")
}

// TestAcknowledgesAfterCommit checks that Put and Complete return only
// after their statement committed: while another transaction holds a lock
// that blocks writes to the table, the call must not return; once it
// returns, another connection sees the write.
func TestAcknowledgesAfterCommit(t *testing.T) {
	url := services.PostgresURL(t)
	s := open(t, url)
	ctx := context.Background()
	c, err := s.Claim(ctx, "k", time.Minute)
	require.NoError(t, err)
	tests := []struct {
		name, table string
		call        func() error
		visible     string
	}{
		{"Put", "hookgen_inbox", func() error { return s.Put(ctx, store.Entry{Family: "f", ID: "1"}) },
			`SELECT count(*) FROM hookgen_inbox WHERE id = '\x31'::bytea`},
		{"PutEntity", "hookgen_inbox", func() error { return s.Put(ctx, store.Entry{Family: "f", ID: "2", Entity: "e"}) },
			`SELECT count(*) FROM hookgen_inbox WHERE id = '\x32'::bytea`},
		{"Complete", "hookgen_claims", func() error { return s.Complete(ctx, "k", c.Token, time.Hour) },
			`SELECT count(*) FROM hookgen_claims WHERE key = '\x6b'::bytea AND state = 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locker, err := pgx.Connect(ctx, url)
			require.NoError(t, err)
			defer func() { _ = locker.Close(ctx) }()
			tx, err := locker.Begin(ctx)
			require.NoError(t, err)
			_, err = tx.Exec(ctx, "LOCK TABLE "+tt.table+" IN SHARE MODE")
			require.NoError(t, err)

			returned := make(chan error, 1)
			go func() { returned <- tt.call() }()
			select {
			case err := <-returned:
				_ = tx.Rollback(ctx)
				t.Fatalf("%s returned (%v) while its write could not commit", tt.name, err)
			case <-time.After(300 * time.Millisecond):
			}
			require.NoError(t, tx.Rollback(ctx))
			require.NoError(t, <-returned)

			var n int
			require.NoError(t, locker.QueryRow(ctx, tt.visible).Scan(&n))
			assert.Equal(t, 1, n, "another connection sees the write")
		})
	}
}

// blocked returns the ids of the entity's entries that are blocked.
func blocked(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT convert_from(id, 'UTF8') FROM hookgen_inbox WHERE blocked ORDER BY id`)
	require.NoError(t, err)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return ids
}

// TestBlockedFlags checks the bookkeeping that keeps an entity's waiting
// entries out of Lease's index: every entry behind its entity's head is
// blocked, and the next one is unblocked when the head settles, is purged
// or when an earlier one is replayed.
func TestBlockedFlags(t *testing.T) {
	url := services.PostgresURL(t)
	s := open(t, url)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	defer func() { _ = conn.Close(ctx) }()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, id := range []string{"x1", "x2", "x3", "x4", "free"} {
		e := store.Entry{Family: "f", ID: id, Entity: "x", ReceivedAt: base.Add(time.Duration(i) * time.Second)}
		if id == "free" {
			e.Entity = ""
		}
		require.NoError(t, s.Put(ctx, e))
	}
	assert.Equal(t, []string{"x2", "x3", "x4"}, blocked(t, conn))

	l, err := s.Lease(ctx, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, l, 2)
	for _, e := range l {
		if e.ID == "x1" {
			require.NoError(t, s.Settle(ctx, "x1", "f", e.Token, store.Settlement{State: store.EntryDone}))
		}
	}
	assert.Equal(t, []string{"x3", "x4"}, blocked(t, conn), "x2 is the head once x1 is done")

	n, err := s.Purge(ctx, store.Query{Family: "f", Since: base.Add(time.Second), Before: base.Add(2 * time.Second)})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	assert.Equal(t, []string{"x4"}, blocked(t, conn), "x3 is the head once x2 is purged")

	require.NoError(t, s.Replay(ctx, "f", "x1"))
	assert.Equal(t, []string{"x4"}, blocked(t, conn), "a replayed head is not blocked")
	l, err = s.Lease(ctx, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, l, 1, "x1 again; x3 waits behind it")
	assert.Equal(t, "x1", l[0].ID)
}

// BenchmarkLeaseBacklog leases from an inbox whose first 100,000 entries
// are one entity's backlog (waiting behind its head), followed by 100
// entries of other entities.
func BenchmarkLeaseBacklog(b *testing.B) {
	url := services.PostgresURL(b)
	s, err := pgstore.Open(context.Background(), url)
	require.NoError(b, err)
	defer s.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(b, err)
	defer func() { _ = conn.Close(ctx) }()
	_, err = conn.Exec(ctx, `
		INSERT INTO hookgen_inbox (family, id, webhook, event, key, entity, method, path, raw_query, header, body,
			received_at, state, reason, attempts, next_at, last_error, duplicates, updated_at, token, lease_until, blocked)
		SELECT 'f'::bytea, convert_to('d' || lpad(i::text, 7, '0'), 'UTF8'), '', 'created', '',
			CASE WHEN i < 100000 THEN 'hot'::bytea ELSE convert_to('e' || i, 'UTF8') END,
			'POST', '/', '', NULL, '\x7b7d'::bytea, '2026-01-01'::timestamptz + i * interval '1 millisecond',
			1, '', 0, '-infinity', '', 0, now(), '', '-infinity', i > 0 AND i < 100000
		FROM generate_series(0, 100099) AS i`)
	require.NoError(b, err)
	_, err = conn.Exec(ctx, `VACUUM ANALYZE hookgen_inbox`)
	require.NoError(b, err)
	for b.Loop() {
		l, err := s.Lease(ctx, 1, time.Hour)
		if err != nil || len(l) != 1 {
			b.Fatalf("lease: %d, %v", len(l), err)
		}
	}
}

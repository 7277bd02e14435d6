package faulttest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/faulttest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

// Storm size: deliveries, copies of each sent at once, replicas.
const (
	stormDeliveries = 1000
	stormCopies     = 5
	stormReplicas   = 3
	// stormInFlight bounds the deliveries whose copies are in the air at
	// once (so at most stormInFlight*stormCopies requests).
	stormInFlight = 40
)

// TestStormPostgresSync: three synchronous receivers share PostgreSQL for
// claims and records; every delivery sent five times at once over them is
// processed exactly once.
func TestStormPostgresSync(t *testing.T) { storm(t, "postgres", receiver.Sync) }

// TestStormPostgresDurable: the same with durable receivers, whose
// PostgreSQL inbox keeps one entry per delivery and counts the copies.
func TestStormPostgresDurable(t *testing.T) { storm(t, "postgres", receiver.Durable) }

// TestStormRedisSync: three synchronous receivers share Redis for claims;
// the handler's effects are in PostgreSQL.
func TestStormRedisSync(t *testing.T) { storm(t, "redis", receiver.Sync) }

// withParam returns raw with the query parameter k=v.
func withParam(t *testing.T, raw, k, v string) string { return withParamTB(t, raw, k, v) }

func withParamTB(t testing.TB, raw, k, v string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

// stormFigures are what a storm measured.
type stormFigures struct {
	Sent, Acked, AckedDeliveries, Processed, Suppressed, Lost, Twice int
	Load                                                             time.Duration
}

func (f stormFigures) String() string {
	return fmt.Sprintf("sent %d (%d deliveries x %d copies), acknowledged %d (%d deliveries), processed %d, duplicates suppressed %d, lost %d, twice %d, %s of load",
		f.Sent, stormDeliveries, stormCopies, f.Acked, f.AckedDeliveries, f.Processed, f.Suppressed, f.Lost, f.Twice, f.Load.Round(time.Millisecond))
}

// sendStorm sends stormDeliveries deliveries (body(i) is the i-th),
// stormCopies copies of each at once over the replicas, each copy until it
// is acknowledged. It returns the acknowledged copies, which deliveries
// were acknowledged, and how long it took.
func sendStorm(reps *faulttest.Replicas, sender *faulttest.Sender, body func(i int) []byte) (int, []atomic.Bool, time.Duration) {
	var acked atomic.Int64
	ackedIDs := make([]atomic.Bool, stormDeliveries)
	deadline := time.Now().Add(90 * time.Second)
	sem := make(chan struct{}, stormInFlight)
	var wg sync.WaitGroup
	began := time.Now()
	for i := range stormDeliveries {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			b := body(i)
			start := make(chan struct{})
			var copies sync.WaitGroup
			for c := range stormCopies {
				addr := reps.Addrs[(i+c)%len(reps.Addrs)]
				copies.Go(func() {
					<-start
					if sender.PostBodyUntilAcked(addr, b, deadline) {
						acked.Add(1)
						ackedIDs[i].Store(true)
					}
				})
			}
			close(start)
			copies.Wait()
		})
	}
	wg.Wait()
	return int(acked.Load()), ackedIDs, time.Since(began)
}

// stormStore opens the services of a storm: the store URL, the handler's
// database (its effect tables created) and the store, opened once by the
// parent so that PostgreSQL's migrations are applied before the replicas
// start.
func stormStore(t *testing.T, backend string) (storeURL, effectsURL string, effects *pgxpool.Pool, st store.Backend) {
	t.Helper()
	ctx := context.Background()
	pgURL := services.PostgresURL(t)
	storeURL = withParam(t, pgURL, "pool_max_conns", "6")
	if backend == "redis" {
		storeURL = services.RedisURL(t)
	}
	effectsURL = withParam(t, pgURL, "pool_max_conns", "4")
	effects, err := pgxpool.New(ctx, effectsURL)
	require.NoError(t, err)
	t.Cleanup(effects.Close)
	require.NoError(t, faulttest.CreateEffects(ctx, effects))
	st, err = storeurl.Open(ctx, storeURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return storeURL, effectsURL, effects, st
}

func storm(t *testing.T, backend string, mode receiver.Mode) {
	if faulttest.IsChild() {
		faulttest.ServeReplica(t)
		return
	}
	if testing.Short() {
		t.Skip("storm: not in -short mode")
	}
	ctx := context.Background()
	storeURL, effectsURL, effects, st := stormStore(t, backend)
	reps := faulttest.StartReplicas(t, stormReplicas, storeURL, effectsURL, mode)
	sender := faulttest.NewSender()
	var f stormFigures
	var ackedIDs []atomic.Bool
	f.Acked, ackedIDs, f.Load = sendStorm(reps, sender, func(i int) []byte { return faulttest.Body(fmt.Sprintf("d%04d", i)) })
	f.Sent = stormDeliveries * stormCopies
	for i := range ackedIDs {
		if ackedIDs[i].Load() {
			f.AckedDeliveries++
		}
	}

	// Durable mode: wait until the workers have settled every entry, so
	// that no processing is still to come when the effects are counted.
	var processings map[string]int
	require.Eventually(t, func() bool {
		if mode == receiver.Durable {
			p, err := st.List(ctx, store.Query{Family: faulttest.Family().Name, State: store.Pending, Limit: 1})
			if err != nil || len(p.Entries) > 0 {
				return false
			}
		}
		var err error
		processings, err = faulttest.Processings(ctx, effects)
		return err == nil && len(processings) >= f.AckedDeliveries
	}, 90*time.Second, 100*time.Millisecond, "the acknowledged deliveries are processed")

	rows := 0
	for i := range stormDeliveries {
		n := processings[fmt.Sprintf("d%04d", i)]
		rows += n
		if n > 1 {
			f.Twice++
		}
		if n == 0 && ackedIDs[i].Load() {
			f.Lost++
		}
	}
	f.Processed = len(processings)
	f.Suppressed = f.Sent - rows
	t.Logf("storm (%s, %s, %d replicas): %s", backend, mode, stormReplicas, f)
	t.Logf("answers: %s", sender.Answers)

	assert.Equal(t, f.Sent, f.Acked, "every copy is acknowledged in the end")
	assert.Equal(t, stormDeliveries, f.Processed, "every delivery is processed")
	assert.Equal(t, stormDeliveries, rows, "one effect row per delivery")
	assert.Zero(t, f.Lost, "acknowledged but never processed")
	assert.Zero(t, f.Twice, "processed twice")
	assert.Zero(t, sender.Answers.Other(), "no answer other than 2xx and 503")
	assert.Zero(t, sender.Answers.RetryAfterMissing, "every 503 carries Retry-After")
	if mode == receiver.Durable {
		// The inbox keeps one entry per delivery, done, and counts on it
		// every copy it did not keep.
		entries, dups := 0, 0
		q := store.Query{Family: faulttest.Family().Name, Limit: 500}
		for {
			p, err := st.List(ctx, q)
			require.NoError(t, err)
			for _, e := range p.Entries {
				entries++
				dups += e.Duplicates
				assert.Equal(t, store.EntryDone, e.State, "entry %s", e.Key)
			}
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
		t.Logf("inbox: %d entries, %d duplicates counted on them", entries, dups)
		assert.Equal(t, stormDeliveries, entries, "one inbox entry per delivery")
		assert.Equal(t, sender.Answers.Outcome("duplicate"), dups, "every copy answered as a duplicate is counted on its entry")
		assert.GreaterOrEqual(t, dups, stormDeliveries*(stormCopies-1), "each copy after the first is a duplicate")
	}
}

// Ordered storm: stormDeliveries messages of orderedEntities lifecycles
// (versions 1..stormDeliveries/orderedEntities each), sent in a random
// order, every message stormCopies times at once over the replicas.
const orderedEntities = 100

// TestStormOrderedPostgres: three synchronous receivers share PostgreSQL
// for claims, ordering and records. Each message is processed at most
// once; per entity, the processed versions increase strictly (a message
// older than one already processed, or processed concurrently, is never
// processed after it); the newest message of every entity is processed;
// and every message that was not processed is kept as a record with the
// reason "stale".
func TestStormOrderedPostgres(t *testing.T) {
	if faulttest.IsChild() {
		faulttest.ServeReplica(t)
		return
	}
	if testing.Short() {
		t.Skip("storm: not in -short mode")
	}
	ctx := context.Background()
	storeURL, effectsURL, effects, st := stormStore(t, "postgres")
	reps := faulttest.StartReplicas(t, stormReplicas, storeURL, effectsURL, receiver.Sync)
	versions := stormDeliveries / orderedEntities
	id := func(e, v int) string { return fmt.Sprintf("e%03d-v%02d", e, v) }
	order := rand.Perm(stormDeliveries)
	msg := func(i int) (e, v int) { return order[i] / versions, order[i]%versions + 1 }
	sender := faulttest.NewSender()
	acked, ackedIDs, load := sendStorm(reps, sender, func(i int) []byte {
		e, v := msg(i)
		return faulttest.OrderedBody(id(e, v), fmt.Sprintf("e%03d", e), int64(v))
	})

	seq, err := faulttest.ProcessingOrder(ctx, effects)
	require.NoError(t, err)
	processed := map[string]int{}
	last := map[string]int{} // entity → last processed version
	backwards := 0
	for _, pid := range seq {
		processed[pid]++
		var e, v int
		_, err := fmt.Sscanf(pid, "e%03d-v%02d", &e, &v)
		require.NoError(t, err)
		ent := fmt.Sprintf("e%03d", e)
		if v <= last[ent] {
			backwards++
			t.Errorf("entity %s: version %d processed after version %d", ent, v, last[ent])
		}
		last[ent] = v
	}
	twice := 0
	for _, n := range processed {
		if n > 1 {
			twice++
		}
	}
	// The records: one per message, "processed" or "stale".
	reasons := map[string]string{}
	q := store.Query{Family: faulttest.Family().Name, Limit: 500}
	for {
		p, err := st.List(ctx, q)
		require.NoError(t, err)
		for _, e := range p.Entries {
			reasons[e.Key] = e.Reason
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	lost, stale := 0, 0
	for i := range stormDeliveries {
		e, v := msg(i)
		k := id(e, v)
		switch {
		case processed[k] > 0:
			assert.Equal(t, store.ReasonProcessed, reasons[k], "record of %s", k)
		case reasons[k] == store.ReasonStale:
			stale++
		default:
			lost++
			t.Errorf("%s (acknowledged %v) neither processed nor recorded as stale (record %q)", k, ackedIDs[i].Load(), reasons[k])
		}
	}
	t.Logf("ordered storm (postgres, sync, %d replicas, %d entities x %d versions): sent %d, acknowledged %d, processed %d, dropped as stale %d, lost %d, twice %d, out of order %d, %s of load",
		stormReplicas, orderedEntities, versions, stormDeliveries*stormCopies, acked, len(processed), stale, lost, twice, backwards, load.Round(time.Millisecond))
	t.Logf("answers: %s", sender.Answers)

	assert.Equal(t, stormDeliveries*stormCopies, acked, "every copy is acknowledged in the end")
	assert.Zero(t, twice, "processed twice")
	assert.Zero(t, lost)
	assert.Equal(t, stormDeliveries, len(processed)+stale)
	for e := range orderedEntities {
		assert.Equal(t, 1, processed[id(e, versions)], "the newest message of e%03d is processed", e)
	}
	assert.Zero(t, sender.Answers.Other(), "no answer other than 2xx and 503")
}

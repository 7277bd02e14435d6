// Package faulttest proves the delivery guarantees of the receiver under
// faults, on loopback against the real PostgreSQL and Redis servers:
//
//   - the duplicate storm: several receiver processes (the test binary run
//     again, see IsChild) share one store (PostgreSQL, or Redis for the
//     claims), every delivery is sent several times at once over the
//     replicas, and the handler's effects (rows in a PostgreSQL table, one
//     per processing) show each delivery processed exactly once; the
//     ordered storm adds lifecycles whose versions must be processed in
//     order, the older ones kept as stale records;
//   - the outage: a Proxy between the receivers and PostgreSQL or Redis is
//     cut and restored mid-load; synchronous mode, and durable mode on a
//     PostgreSQL inbox, answer 503 with Retry-After while the store is
//     down; durable mode on the embedded store keeps accepting while the
//     handler's database is down; after the restore everything
//     acknowledged is processed;
//   - the stall: the proxy stops forwarding bytes but keeps the
//     connections open, and a delivery is still answered (503 with
//     Retry-After, after the receiver's store timeout);
//   - BenchmarkDurableAck: durable acknowledgements per second on the
//     embedded store and on PostgreSQL.
//
// The tests (in this package's _test files) need HOOKGEN_POSTGRES_URL and,
// for Redis, HOOKGEN_REDIS_URL, and skip without them; with
// HOOKGEN_REQUIRE_SERVICES=1 they use the local servers and fail when
// those are unreachable (see internal/services).
package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookgen/hookgen/runtime"
)

// Path is where Family receives.
const Path = "/event"

// Body is a delivery of Family with the given id.
func Body(id string) []byte { return []byte(`{"id":"` + id + `"}`) }

// OrderedBody is a delivery of Family with the given id that is message
// version of entity's lifecycle.
func OrderedBody(id, entity string, version int64) []byte {
	return []byte(fmt.Sprintf(`{"id":%q,"entity":%q,"version":%d}`, id, entity, version))
}

// payload is a delivery of Family.
type payload struct {
	ID      string `json:"id"`
	Entity  string `json:"entity"`
	Version int64  `json:"version"`
}

// Family is a JSON POST whose id is the idempotency key; a delivery with an
// entity is ordered by its version within the entity. Its sender retries
// until success (RetryAfter 1 s), so that synchronous mode is its default;
// the tests choose the mode with receiver.WithMode.
func Family() *runtime.Family {
	return &runtime.Family{
		Name:     "faults",
		Delivery: runtime.DeliveryPolicy{Mode: runtime.RetryUntilSuccess, RetryAfter: time.Second},
		Webhooks: []runtime.Webhook{{
			Name:    "event",
			Path:    Path,
			Methods: []string{http.MethodPost},
			Decode: func(req *runtime.Request, _ bool) (runtime.Event, error) {
				var v payload
				if err := json.Unmarshal(req.Body, &v); err != nil || v.ID == "" {
					return runtime.Event{}, &runtime.ValidationError{Errors: []runtime.FieldError{{Pointer: "/id", Rule: "required", Message: "id is required"}}}
				}
				return runtime.Event{Name: "Event", Payload: v}, nil
			},
			Key: func(_ *runtime.Request, ev runtime.Event) (string, error) { return ev.Payload.(payload).ID, nil },
			Order: func(_ *runtime.Request, ev runtime.Event) (runtime.Position, bool, error) {
				v := ev.Payload.(payload)
				if v.Entity == "" {
					return runtime.Position{}, false, nil
				}
				return runtime.Position{Entity: v.Entity, Version: v.Version, HasVersion: true}, true, nil
			},
		}},
	}
}

// CreateEffects creates the effect tables in the database (the schema of
// its search_path): effects holds one row per processing (no unique
// constraint, so a delivery processed twice shows twice; seq is the order
// of the processings), effects_once
// one row per delivery (its primary key makes a rerun write nothing).
func CreateEffects(ctx context.Context, pool *pgxpool.Pool) error {
	_, err := pool.Exec(ctx, `
		CREATE TABLE IF NOT EXISTS effects (seq bigserial, id text NOT NULL, replica int NOT NULL, at timestamptz NOT NULL DEFAULT now());
		CREATE TABLE IF NOT EXISTS effects_once (id text PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`)
	return err
}

// CountingHandler writes one effects row per call: the effect of a handler
// that is not idempotent, so that the table counts processings.
func CountingHandler(pool *pgxpool.Pool, replica int) runtime.Dispatch {
	return func(ctx context.Context, d *runtime.Delivery, _ runtime.Event) error {
		_, err := pool.Exec(ctx, `INSERT INTO effects (id, replica) VALUES ($1, $2)`, d.Key, replica)
		if err != nil {
			return fmt.Errorf("effect: %w", err)
		}
		return nil
	}
}

// Processings reads the effects table: processings per id.
func Processings(ctx context.Context, pool *pgxpool.Pool) (map[string]int, error) {
	return countBy(ctx, pool, `SELECT id, count(*) FROM effects GROUP BY id`)
}

// ProcessingOrder reads the effects table: the ids in the order they were
// processed (committed).
func ProcessingOrder(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT id FROM effects ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Effects reads the effects_once table: 1 per id.
func Effects(ctx context.Context, pool *pgxpool.Pool) (map[string]int, error) {
	return countBy(ctx, pool, `SELECT id, 1 FROM effects_once`)
}

func countBy(ctx context.Context, pool *pgxpool.Pool, sql string) (map[string]int, error) {
	rows, err := pool.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// Once is the effect of an idempotent handler: one effects_once row per
// delivery. A call whose row is already there (a rerun: the delivery was
// handed out again after an attempt whose effect committed but whose
// settle did not) writes nothing and is counted in Reruns; a call that
// fails (the database is down) is counted in Failures.
type Once struct {
	Pool *pgxpool.Pool
	// Before, when set, is called with the delivery's key before the
	// effect is written.
	Before   func(key string)
	Reruns   atomic.Int64
	Failures atomic.Int64
	Calls    atomic.Int64
}

// Handle is the handler.
func (o *Once) Handle(ctx context.Context, d *runtime.Delivery, _ runtime.Event) error {
	o.Calls.Add(1)
	if o.Before != nil {
		o.Before(d.Key)
	}
	tag, err := o.Pool.Exec(ctx, `INSERT INTO effects_once (id) VALUES ($1) ON CONFLICT (id) DO NOTHING`, d.Key)
	if err != nil {
		o.Failures.Add(1)
		return fmt.Errorf("effect: %w", err)
	}
	if tag.RowsAffected() == 0 {
		o.Reruns.Add(1)
	}
	return nil
}

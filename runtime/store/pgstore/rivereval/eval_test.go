// Package rivereval measures River's job insert against pgstore's Put on
// the same PostgreSQL, in one run, for the inbox decision recorded in
// package pgstore's documentation. It is a module of its own so that the
// hookgen module does not depend on River.
//
//	HOOKGEN_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	    go test -count=1 -v -run TestInsertThroughput .
package rivereval

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
)

type PlainArgs struct {
	Family string `json:"family"`
	ID     string `json:"id"`
	Body   []byte `json:"body"`
}

func (PlainArgs) Kind() string { return "plain" }

type DeliveryArgs struct {
	Family string `json:"family"`
	ID     string `json:"id"`
	Body   []byte `json:"body"`
}

func (DeliveryArgs) Kind() string { return "delivery" }

func (a DeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

func schema(t testing.TB, name string) string {
	base := os.Getenv("HOOKGEN_POSTGRES_URL")
	if base == "" {
		t.Skip("set HOOKGEN_POSTGRES_URL")
	}
	ctx := context.Background()
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
			_ = c.Close(ctx)
		}
	})
	c, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
	if _, err := c.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatal(err)
	}
	return base + "&search_path=" + name // base must have a query (sslmode=…)
}

const n, workers = 20000, 16

func run(t *testing.T, label string, put func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	var failed atomic.Int64
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := put(i); err != nil {
					failed.Add(1)
					t.Log(err)
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	t.Logf("%s: %d inserts, %d goroutines, %v, %.0f inserts/s, %d failed", label, n, workers, d.Round(time.Millisecond), float64(n)/d.Seconds(), failed.Load())
}

func TestInsertThroughput(t *testing.T) {
	ctx := context.Background()
	body := []byte(`{"id":"evt_123","type":"alert.created","data":{"severity":"critical","host":"web-1"}}`)

	// River: unique jobs by args (the delivery id), one insert per delivery.
	rurl := schema(t, "rivereval_river")
	pool, err := pgxpool.New(ctx, rurl+"&pool_max_conns=16")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}

	// pgstore: Put of an Entry.
	surl := schema(t, "rivereval_pgstore")
	s, err := pgstore.Open(ctx, surl+"&pool_max_conns=16")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for round := range 2 {
		run(t, fmt.Sprintf("round %d river Insert (unique by args)", round), func(i int) error {
			_, err := client.Insert(ctx, DeliveryArgs{Family: "f", ID: fmt.Sprintf("r%d-%d", round, i), Body: body}, nil)
			return err
		})
		run(t, fmt.Sprintf("round %d river Insert (not unique)", round), func(i int) error {
			_, err := client.Insert(ctx, PlainArgs{Family: "f", ID: fmt.Sprintf("r%d-%d", round, i), Body: body}, nil)
			return err
		})
		run(t, fmt.Sprintf("round %d pgstore Put", round), func(i int) error {
			return s.Put(ctx, store.Entry{Family: "f", ID: fmt.Sprintf("r%d-%d", round, i), Event: "alert.created", Body: body})
		})
	}
}

package crashtest_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/hookgen/hookgen/internal/crashtest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/pgstore"
)

// TestCrashBolt: durable mode on the embedded bolt store survives kill -9.
func TestCrashBolt(t *testing.T) {
	if !crashtest.IsChild() && testing.Short() {
		t.Skip("crash test: not in -short mode")
	}
	target := ""
	if !crashtest.IsChild() {
		target = filepath.Join(t.TempDir(), "store.db")
	}
	crashtest.Run(t, target, func(_ context.Context, path string) (store.Store, error) {
		return store.OpenBolt(path)
	})
}

// TestCrashPostgres: durable mode on PostgreSQL survives kill -9.
func TestCrashPostgres(t *testing.T) {
	if !crashtest.IsChild() && testing.Short() {
		t.Skip("crash test: not in -short mode")
	}
	target := ""
	if !crashtest.IsChild() {
		target = services.PostgresURL(t)
	}
	crashtest.Run(t, target, func(ctx context.Context, url string) (store.Store, error) {
		return pgstore.Open(ctx, url)
	})
}

// BenchmarkDurableAckPostgres measures durable acknowledgements on
// PostgreSQL: each op is one delivery read, decoded, committed to the
// inbox and answered, from parallel senders.
func BenchmarkDurableAckPostgres(b *testing.B) {
	st, err := pgstore.Open(context.Background(), services.PostgresURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rcv, err := receiver.New(crashtest.Family(),
		func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithStore(st))
	if err != nil {
		b.Fatal(err)
	}
	defer rcv.Close()
	var n atomic.Int64
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := crashtest.Body("bench-" + strconv.FormatInt(n.Add(1), 10))
			req := httptest.NewRequest(http.MethodPost, crashtest.Path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			rcv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acks/s")
}

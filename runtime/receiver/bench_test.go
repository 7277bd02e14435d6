package receiver_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/receiver/internal/fixture"
	"github.com/hookgen/hookgen/runtime/store"
)

// BenchmarkPipeline measures one full successful delivery (token check,
// decode, key, ordering guard, claim, handler, complete, commit) through
// ServeHTTP with the memory store, every delivery with a unique key.
func BenchmarkPipeline(b *testing.B) {
	mem := store.NewMemory()
	defer mem.Close()
	rcv, err := receiver.New(fixture.StackState(),
		func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithStore(mem),
		receiver.WithAuthenticator(fixture.TokenAuth{Header: fixture.TokenHeader, Tokens: []string{token}}))
	if err != nil {
		b.Fatal(err)
	}
	defer rcv.Close()
	var body []byte
	rd := bytes.NewReader(nil)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body = fixture.AppendOpen(body[:0], "bench-"+strconv.Itoa(i), int64(i))
		rd.Reset(body)
		req := httptest.NewRequest(http.MethodPost, fixture.StackStatePath, rd)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(fixture.TokenHeader, token)
		rec := httptest.NewRecorder()
		rcv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkDurableAckBolt measures durable acknowledgements on the bolt
// store: each op is one single-attempt delivery read, decoded, put to the
// inbox (committed to disk before the answer) and answered "accepted",
// from parallel senders; the workers run the handler meanwhile.
func BenchmarkDurableAckBolt(b *testing.B) {
	st, err := store.OpenBolt(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	rcv, err := receiver.New(fixture.SingleAttempt(),
		func(context.Context, *runtime.Delivery, runtime.Event) error { return nil },
		receiver.WithStore(st))
	if err != nil {
		b.Fatal(err)
	}
	defer rcv.Close()
	var n atomic.Int64
	b.SetParallelism(16) // senders per CPU: acknowledgements share commits
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := fixture.TaskBody("bench-" + strconv.FormatInt(n.Add(1), 10))
			req := httptest.NewRequest(http.MethodPost, fixture.TaskPath, bytes.NewReader(body))
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

package faulttest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	goruntime "runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/faulttest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/store/storeurl"
)

// BenchmarkDurableAck measures durable acknowledgements per second: a
// durable receiver (over HTTP on loopback, its workers running a handler
// that does nothing) answers parallel senders of fresh deliveries, each
// acknowledged only after its inbox entry is committed (bolt: fsync;
// PostgreSQL: COMMIT).
//
// The bolt store shares one commit (and fsync) among the puts that
// arrive together, so more senders mean more acknowledgements per
// commit; PostgreSQL commits each put in its own transaction.
//
//	HOOKGEN_REQUIRE_SERVICES=1 go test -run '^$' -bench DurableAck -benchtime 3000x ./internal/faulttest
func BenchmarkDurableAck(b *testing.B) {
	for _, senders := range []int{8, 64} {
		b.Run(fmt.Sprintf("bolt/senders=%d", senders), func(b *testing.B) {
			st, err := store.OpenBolt(filepath.Join(b.TempDir(), "store.db"))
			require.NoError(b, err)
			defer st.Close()
			benchAck(b, st, senders)
		})
		b.Run(fmt.Sprintf("postgres/senders=%d", senders), func(b *testing.B) {
			u := withParamTB(b, services.PostgresURL(b), "pool_max_conns", "16")
			st, err := storeurl.Open(context.Background(), u)
			require.NoError(b, err)
			defer st.Close()
			benchAck(b, st, senders)
		})
	}
}

// benchAck sends from about senders goroutines (a multiple of GOMAXPROCS).
func benchAck(b *testing.B, st store.Store, senders int) {
	noop := func(context.Context, *runtime.Delivery, runtime.Event) error { return nil }
	rcv, err := receiver.New(faulttest.Family(), noop, receiver.WithStore(st), receiver.WithMode(receiver.Durable))
	require.NoError(b, err)
	defer rcv.Close()
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	var seq, failed atomic.Int64
	b.SetParallelism(max(1, senders/goruntime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("b%d", seq.Add(1))
			resp, err := client.Post(srv.URL+faulttest.Path, "application/json", bytes.NewReader(faulttest.Body(id)))
			if err != nil {
				failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Hookgen-Outcome") != string(receiver.OutcomeAccepted) {
				failed.Add(1)
			}
		}
	})
	b.StopTimer()
	require.Zero(b, failed.Load(), "every delivery is accepted")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "acks/s")
}

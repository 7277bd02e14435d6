package receiver_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
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

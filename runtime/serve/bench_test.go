package serve_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/serve"
)

// benchBody is about the size of a StackState notification.
var benchBody = strings.Repeat("x", 2500)

// BenchmarkServe compares a delivery answered by a bare net/http server
// with one answered through serve.Server (slot taken and given back around
// body reads, connection tracked), both on loopback with keep-alive clients, in the
// same run: report the ratio of the two ns/op.
func BenchmarkServe(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write([]byte("ok"))
	})
	b.Run("bare-net-http", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(b, err)
		srv := &http.Server{Handler: h}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
		benchPost(b, "http://"+ln.Addr().String()+"/hook")
	})
	b.Run("serve", func(b *testing.B) {
		srv, err := serve.New(h, serve.WithAddr("127.0.0.1:0"), serve.WithOpsAddr("127.0.0.1:0"))
		require.NoError(b, err)
		require.NoError(b, srv.Listen(context.Background()))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Run(ctx) }()
		defer func() { cancel(); <-done }()
		benchPost(b, "http://"+srv.Addr()+"/hook")
	})
}

func benchPost(b *testing.B, url string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.SetBytes(int64(len(benchBody)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Post(url, "application/json", strings.NewReader(benchBody))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
		}
	})
}

package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookgen/hookgen/runtime/ticket"
)

func TestRoutesServeHealthMetricsAndEveryFamily(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), Secrets: map[string]string{"Token": "s3cret", "Basic": "user:pass"}}
	mux, closeAll, err := routes(cfg, ticket.NewEngine(nil, nil), slog.New(slog.DiscardHandler))
	defer closeAll()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d", code)
	}
	// A request to a family's path reaches its receiver: an empty POST is
	// refused with a problem document, not a 404 from the router.
	for _, path := range []string{"/atscale/", "/butler/", "/clcbackup/", "/netpulse/", "/stackstate/"} {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader("{"))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatalf("POST %s: 200 for an invalid request", path)
		}
	}
	if code, body := get("/metrics"); code != http.StatusOK || !strings.Contains(body, "hookgen_") {
		t.Fatalf("/metrics: %d %q", code, body)
	}
}

package serve

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookgen/hookgen/runtime"
)

// opsHandler serves /healthz, /readyz, /metrics and /admin/; with shared
// set, it hands every other path to webhooks.
func (s *Server) opsHandler(webhooks http.Handler) http.Handler {
	mux := http.NewServeMux()
	guard := func(h http.Handler) http.Handler { return h }
	if s.cfg.opsToken != "" {
		guard = s.requireToken
	}
	health := guard
	if webhooks == nil {
		health = func(h http.Handler) http.Handler { return h } // a separate listener: probes stay open
	}
	mux.Handle("GET /healthz", health(http.HandlerFunc(s.serveHealth)))
	mux.Handle("GET /readyz", health(http.HandlerFunc(s.serveReady)))
	mux.Handle("GET /metrics", guard(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{})))
	if s.cfg.admin != nil {
		mux.Handle("/admin/", guard(s.cfg.admin))
	}
	if webhooks != nil {
		mux.Handle("/", webhooks)
	}
	return mux
}

// requireToken answers 401 unless the request carries the bearer token.
func (s *Server) requireToken(h http.Handler) http.Handler {
	want := []byte("Bearer " + s.cfg.opsToken)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="hookgen-ops"`)
			runtime.WriteProblem(w, runtime.Problem{
				Type: runtime.ProblemTypeBase + "unauthorized", Title: "Unauthorized", Status: http.StatusUnauthorized,
			})
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) serveHealth(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, true, "ok")
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeStatus(w, false, "shutting down")
		return
	}
	for _, check := range s.cfg.ready {
		if err := check(r.Context()); err != nil {
			writeStatus(w, false, "not ready: "+truncate(err.Error(), 200))
			return
		}
	}
	writeStatus(w, true, "ok")
}

func writeStatus(w http.ResponseWriter, ok bool, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write([]byte(msg + "\n"))
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := strings.ToValidUTF8(s[:n], "")
	return cut + "…"
}

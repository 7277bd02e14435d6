package micro_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/hookgen/hookgen/internal/bench/adapter"
	"github.com/hookgen/hookgen/internal/bench/payload"
	"github.com/hookgen/hookgen/internal/bench/serve"
	"github.com/hookgen/hookgen/internal/difftest"
	"github.com/hookgen/hookgen/internal/services"
	"github.com/hookgen/hookgen/openapi"
	hookruntime "github.com/hookgen/hookgen/runtime"
)

// vector is one valid body vector with what each decoder needs.
type vector struct {
	name    string
	webhook *hookruntime.Webhook
	method  string
	header  http.Header
	body    []byte
	typ     reflect.Type // the generated payload type (not the pointer)
	kase    difftest.Case
}

// valid returns the valid body vectors of a family, checked once through
// every decoder so that the benchmarks time successful decodes only.
func valid(b *testing.B, family string) ([]vector, *difftest.Oracle) {
	b.Helper()
	fam := adapter.Families()[family]()
	oracle, err := difftest.NewOracle(context.Background(), family)
	if err != nil {
		b.Fatal(err)
	}
	vs, err := openapi.Vectors(family)
	if err != nil {
		b.Fatal(err)
	}
	var out []vector
	for _, v := range vs {
		if v.Verdict != openapi.VerdictValid || v.Synthetic != "" || v.Query != "" || len(v.Body) == 0 {
			continue
		}
		hdr := http.Header{"Content-Type": {v.ContentType}}
		for k, val := range v.Headers {
			hdr.Set(k, val)
		}
		vec := vector{name: v.Name, method: v.Method, header: hdr, body: v.Body,
			kase: difftest.Case{Name: v.Name, Webhook: v.Webhook, Method: v.Method, Body: v.Body, Header: hdr}}
		for i := range fam.Webhooks {
			if fam.Webhooks[i].Name == v.Webhook {
				vec.webhook = &fam.Webhooks[i]
			}
		}
		if vec.webhook == nil {
			b.Fatalf("%s/%s: no webhook %s", family, v.Name, v.Webhook)
		}
		ev, err := vec.webhook.Decode(vec.request(), false)
		if err != nil {
			b.Fatalf("%s/%s: generated decode: %v", family, v.Name, err)
		}
		vec.typ = reflect.TypeOf(ev.Payload).Elem()
		if err := json.Unmarshal(v.Body, reflect.New(vec.typ).Interface()); err != nil {
			b.Fatalf("%s/%s: encoding/json: %v", family, v.Name, err)
		}
		if ok, why := oracle.Valid(vec.kase); !ok {
			b.Fatalf("%s/%s: kin-openapi: %s", family, v.Name, why)
		}
		out = append(out, vec)
	}
	if len(out) == 0 {
		b.Fatalf("%s: no valid body vectors", family)
	}
	return out, oracle
}

func (v *vector) request() *hookruntime.Request {
	return &hookruntime.Request{Method: v.method, Header: v.header, Raw: v.body, Body: v.body}
}

// decoders are the three ways of checking a payload that are compared.
func decoders(oracle *difftest.Oracle) []struct {
	name string
	run  func(*vector) error
} {
	return []struct {
		name string
		run  func(*vector) error
	}{
		{"generated", func(v *vector) error {
			_, err := v.webhook.Decode(v.request(), false)
			return err
		}},
		{"encoding-json", func(v *vector) error {
			return json.Unmarshal(v.body, reflect.New(v.typ).Interface())
		}},
		{"kin-openapi", func(v *vector) error {
			if ok, why := oracle.Valid(v.kase); !ok {
				return errors.New(why)
			}
			return nil
		}},
	}
}

// benchVectors runs one decoder over vs per iteration and reports the
// per-payload time and allocations.
func benchVectors(b *testing.B, vs []vector, run func(*vector) error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ResetTimer()
	for b.Loop() {
		for i := range vs {
			if err := run(&vs[i]); err != nil {
				b.Fatalf("%s: %v", vs[i].name, err)
			}
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	n := float64(b.N * len(vs))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/payload")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/payload")
}

func BenchmarkDecode(b *testing.B) {
	families := openapi.Families()
	sort.Strings(families)
	for _, family := range families {
		b.Run(family, func(b *testing.B) {
			vs, oracle := valid(b, family)
			for _, d := range decoders(oracle) {
				b.Run(d.name, func(b *testing.B) { benchVectors(b, vs, d.run) })
			}
		})
	}
	b.Run("stackstate-open", func(b *testing.B) {
		vs, oracle := valid(b, "stackstate")
		open := payload.Open()
		var one []vector
		for _, v := range vs {
			if bytes.Equal(v.body, open) {
				one = append(one, v)
			}
		}
		if len(one) != 1 {
			b.Fatalf("the open payload is %d of the stackstate vectors, want 1", len(one))
		}
		for _, d := range decoders(oracle) {
			b.Run(d.name, func(b *testing.B) { benchVectors(b, one, d.run) })
		}
	})
}

// modes returns every store mode, each opened fresh for one benchmark.
func modes() []adapter.Mode {
	return []adapter.Mode{adapter.Memory, adapter.Bolt, adapter.Redis, adapter.Postgres}
}

func storeConfig(b *testing.B, m adapter.Mode) adapter.Config {
	cfg := adapter.Config{Mode: m, Path: filepath.Join(b.TempDir(), "claims.db")}
	if !slices.Contains(adapter.Available(), m) {
		return cfg // Open reports the mode unavailable
	}
	switch m {
	case adapter.Redis:
		cfg.URL = services.RedisURL(b)
	case adapter.Postgres:
		cfg.URL = services.PostgresURL(b)
	}
	return cfg
}

func BenchmarkClaim(b *testing.B) {
	ctx := context.Background()
	for _, m := range modes() {
		b.Run(string(m), func(b *testing.B) {
			st, err := adapter.OpenStore(storeConfig(b, m))
			if errors.Is(err, adapter.ErrUnavailable) {
				b.Skipf("%v", err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			run := time.Now().UnixNano()
			i := 0
			for b.Loop() {
				i++
				key := fmt.Sprintf("bench:%d:%d", run, i)
				c, err := st.Claim(ctx, key, 30*time.Second)
				if err != nil || !c.Won {
					b.Fatalf("claim %s: won=%v err=%v", key, c.Won, err)
				}
				if err := st.Complete(ctx, key, c.Token, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPipeline(b *testing.B) {
	for _, m := range modes() {
		b.Run(string(m), func(b *testing.B) {
			rc, err := adapter.Open(storeConfig(b, m))
			if errors.Is(err, adapter.ErrUnavailable) {
				b.Skipf("%v", err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = rc.Close(context.Background()) }()
			gen := payload.NewGenerator(payload.Open(), uint16(time.Now().UnixNano()))
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, serve.Path, bytes.NewReader(gen.Next()))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(serve.TokenHeader, serve.Token)
				w := httptest.NewRecorder()
				rc.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}

// BenchmarkMemoryStoreMillionKeys claims and completes one million keys
// of the receiver's shape ("stackstate:" and a 64-hex-digit digest) in a
// fresh memory store per iteration and reports the live heap they take.
func BenchmarkMemoryStoreMillionKeys(b *testing.B) {
	const n = 1_000_000
	ctx := context.Background()
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("stackstate:%064x", i)
	}
	var live uint64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		st, err := adapter.OpenStore(adapter.Config{Mode: adapter.Memory})
		if err != nil {
			b.Fatal(err)
		}
		for _, k := range keys {
			c, err := st.Claim(ctx, k, time.Minute)
			if err != nil || !c.Won {
				b.Fatalf("claim %s: %v", k, err)
			}
			if err := st.Complete(ctx, k, c.Token, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		live = m1.HeapAlloc - m0.HeapAlloc
		runtime.KeepAlive(st)
		_ = st.Close()
	}
	b.ReportMetric(float64(live)/(1<<20), "MB/1M-keys")
}

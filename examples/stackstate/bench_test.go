package stackstate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/hookgen/hookgen/examples/stackstate"
	"github.com/hookgen/hookgen/generator"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
)

func openVector(b *testing.B) []byte {
	vs, err := openapi.Vectors("stackstate")
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range vs {
		if v.Name == "docs-open" {
			return v.Body
		}
	}
	b.Fatal("docs-open vector missing")
	return nil
}

// BenchmarkValidateDecode compares, in one run, the generated validator +
// typed decode with the baselines of DESIGN.md §7: encoding/json alone (no
// validation) and kin-openapi's ValidateRequest (validation only, no typed
// decode). Report the ratios, not the absolute figures.
func BenchmarkValidateDecode(b *testing.B) {
	body := openVector(b)
	b.Run("hookgen-generated", func(b *testing.B) {
		fam := stackstate.Family()
		w := fam.Webhooks[0]
		b.ReportAllocs()
		for b.Loop() {
			req := &runtime.Request{Method: "POST", Body: body, Raw: body}
			if _, err := w.Decode(req, false); err != nil {
				b.Fatal(err)
			}
		}
	})
	// What the pipeline needs per delivery: validate+decode, then the
	// idempotency key and the ordering position, read from the parsed
	// document (no re-scan of the body).
	b.Run("hookgen-generated+key+order", func(b *testing.B) {
		fam := stackstate.Family()
		w := fam.Webhooks[0]
		b.ReportAllocs()
		for b.Loop() {
			req := &runtime.Request{Method: "POST", Body: body, Raw: body}
			ev, err := w.Decode(req, false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Key(req, ev); err != nil {
				b.Fatal(err)
			}
			if _, _, err := w.Order(req, ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The baseline: encoding/json alone into the same struct the handler
	// gets, without validation.
	b.Run("encoding-json-only", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e stackstate.NotificationOpenedEnvelope
			if err := json.Unmarshal(body, &e); err != nil {
				b.Fatal(err)
			}
		}
	})
	// kin-openapi on our 3.1 spec (its JSON Schema 2020-12 path) and on
	// StackState's own 3.0.3 spec shape (its native, faster validator).
	b.Run("kin-openapi-ValidateRequest-3.1", func(b *testing.B) {
		doc, err := openapi.Load(context.Background(), "stackstate")
		if err != nil {
			b.Fatal(err)
		}
		pi := doc.Webhooks["notification"]
		benchKin(b, body, &routers.Route{Spec: doc, Path: "/", PathItem: pi, Method: "POST", Operation: pi.Post})
	})
	b.Run("kin-openapi-ValidateRequest-3.0.3", func(b *testing.B) {
		doc, err := generator.Load(context.Background(), generator.Config{Spec: "../../generator/testdata/stackstate303/openapi.yaml"})
		if err != nil {
			b.Fatal(err)
		}
		var path string
		for p := range doc.Paths.Map() {
			path = p // the spec has one path
		}
		pi := doc.Paths.Value(path)
		if pi == nil || pi.Post == nil {
			b.Fatalf("no POST operation at %q", path)
		}
		benchKin(b, body, &routers.Route{Spec: doc, Path: path, PathItem: pi, Method: "POST", Operation: pi.Post})
	})
}

func benchKin(b *testing.B, body []byte, route *routers.Route) {
	{
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, SchemaValidationOptions: openapi.SchemaValidationOptions()}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest("POST", "http://x/", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if err := openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{Request: req, Route: route, Options: opts}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

type noop struct{ stackstate.Unimplemented }

func (noop) NotificationOpened(context.Context, *runtime.Delivery, *stackstate.NotificationOpenedEnvelope) error {
	return nil
}

// BenchmarkPipeline is one full delivery through the generated receiver:
// token check, validate+decode, key, ordering, claim on the memory store,
// handler, complete. Every iteration sends a new notificationId.
func BenchmarkPipeline(b *testing.B) {
	body := openVector(b)
	rc, err := stackstate.New(noop{}, receiver.WithSecrets(auth.Secrets{"Token": {"bench-token"}}))
	if err != nil {
		b.Fatal(err)
	}
	defer rc.Close()
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		e["notificationId"] = uuidFor(i)
		p, _ := json.Marshal(e)
		req := httptest.NewRequest("POST", "/stackstate/notification", bytes.NewReader(p))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-StackState-Webhook-Token", "bench-token")
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

func uuidFor(i int) string {
	const hex = "0123456789abcdef"
	b := []byte("00000000-0000-4000-8000-000000000000")
	for j := len(b) - 1; j >= 0 && i > 0; j-- {
		if b[j] == '-' {
			continue
		}
		b[j] = hex[i%16]
		i /= 16
	}
	return string(b)
}

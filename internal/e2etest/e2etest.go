// Package e2etest is the end-to-end harness the examples' e2e tests share:
// one family's generated receiver behind an httptest.Server with a
// webhooktest.Recorder as its handler, the family's generated sender
// pointed at it, and the runners that send the family's test vectors
// (openapi.Vectors) and the scenarios every family must pass.
//
// Each family keeps in its own test files what proves the generated code of
// that family: the typed recorder implementing the generated Handler
// interface (wired in through Family.NewHTTPHandler), its authentication and
// its specific scenarios.
package e2etest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
	"github.com/hookgen/hookgen/runtime/store"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

// Family is one generated example family, as the shared e2e tests drive it.
type Family struct {
	// Name is the family's name in openapi.Vectors.
	Name string
	// Spec is the path of the family's OpenAPI document, relative to the
	// test's working directory (webhooktest.Load).
	Spec string
	// NewHTTPHandler is the generated NewHTTPHandler with the family's
	// typed recorder, which records every call with rec.
	NewHTTPHandler func(rec *webhooktest.Recorder, opts ...receiver.Option) (http.Handler, *receiver.Receiver, error)
	// NewSender is the generated NewSender, returning the runtime sender
	// (see RawSender).
	NewSender func(baseURL string, opts ...sender.Option) (*sender.Sender, error)
	// ReceiverSecrets, SenderSecrets and ScenarioSecrets are the
	// credentials of the receiver (before the options given to Start), of
	// the generated sender and of the shared scenarios; nil means none.
	ReceiverSecrets func(t *testing.T) []receiver.Option
	SenderSecrets   func(t *testing.T) []sender.Option
	ScenarioSecrets func(t *testing.T) []webhooktest.ReqOption
	// ExactDocuments says that the handler's payload, re-marshalled, must
	// be JSON-equal to the vendor's document as is, null members included,
	// instead of AssertSameDocument's comparison.
	ExactDocuments bool
	// PoisonAck says that the family's receiver quarantines and
	// acknowledges poison messages by default (receiver.WithPoisonAck, for
	// a sender that retries until it gets a success): InvalidVectors then
	// runs its strict and lenient receivers with poison-ack off and checks
	// a default receiver too.
	PoisonAck bool
}

// RawSender adapts a generated NewSender to Family.NewSender: the
// generated Sender's Raw().
func RawSender[S interface{ Raw() *sender.Sender }](newSender func(string, ...sender.Option) (S, error)) func(string, ...sender.Option) (*sender.Sender, error) {
	return func(baseURL string, opts ...sender.Option) (*sender.Sender, error) {
		s, err := newSender(baseURL, opts...)
		if err != nil {
			return nil, err
		}
		return s.Raw(), nil
	}
}

// Env is one generated receiver behind an httptest.Server, with the
// generated sender pointed at it.
type Env struct {
	// Server serves the generated HTTP handler.
	Server *httptest.Server
	// Recorder records the calls of the family's typed handler.
	Recorder *webhooktest.Recorder
	// Receiver is the generated receiver.
	Receiver *receiver.Receiver
	// Sender is the generated sender's runtime sender, with the family's
	// sender secrets, pointed at Server.
	Sender *sender.Sender
	// Kit is the family's spec, loaded.
	Kit *webhooktest.Kit

	family *Family
}

// Start serves f's generated HTTP handler with a recording handler and a
// memory store, in synchronous mode (the scenarios assert the handler's
// outcome in the answer); opts come after the defaults (the store, the
// mode, then f's receiver secrets), so that they replace them. Everything is closed when t ends.
func Start(t *testing.T, f *Family, opts ...receiver.Option) *Env {
	t.Helper()
	mem := store.NewMemory()
	t.Cleanup(func() { _ = mem.Close() })
	rec := webhooktest.NewRecorder()
	opts = append(append([]receiver.Option{receiver.WithStore(mem), receiver.WithMode(receiver.Sync)}, secrets(t, f.ReceiverSecrets)...), opts...)
	h, rc, err := f.NewHTTPHandler(rec, opts...)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); _ = rc.Close() })
	snd, err := f.NewSender(srv.URL, secrets(t, f.SenderSecrets)...)
	require.NoError(t, err)
	kit, err := webhooktest.Load(f.Spec)
	require.NoError(t, err)
	return &Env{Server: srv, Recorder: rec, Receiver: rc, Sender: snd, Kit: kit, family: f}
}

// secrets returns fn(t), or none when fn is nil.
func secrets[O any](t *testing.T, fn func(*testing.T) []O) []O {
	if fn == nil {
		return nil
	}
	return fn(t)
}

// Target is e's server as a webhooktest target.
func (e *Env) Target() webhooktest.Target { return webhooktest.URL(e.Server.URL, nil) }

// Scenario drives e's server, counting the calls of e's recorder; its
// requests carry opts (credentials, for instance).
func (e *Env) Scenario(opts ...webhooktest.ReqOption) *webhooktest.Scenario {
	return e.Kit.Scenario(e.Target(), e.Recorder, opts...)
}

// Do sends req to e's server and returns the answer.
func (e *Env) Do(t *testing.T, req *http.Request) webhooktest.Response {
	t.Helper()
	r, err := e.Target().Do(req)
	require.NoError(t, err)
	return r
}

// Send sends vector v with the generated sender and returns the answer.
func (e *Env) Send(t *testing.T, v openapi.Vector) webhooktest.Response {
	t.Helper()
	req, err := webhooktest.VectorRequest(context.Background(), e.Sender, v)
	require.NoError(t, err)
	return e.Do(t, req)
}

// Vectors returns f's test vectors.
func Vectors(t *testing.T, f *Family) []openapi.Vector {
	t.Helper()
	vs, err := openapi.Vectors(f.Name)
	require.NoError(t, err)
	return vs
}

// Vector returns f's test vector name, and fails t when there is none.
func Vector(t *testing.T, f *Family, name string) openapi.Vector {
	t.Helper()
	for _, v := range Vectors(t, f) {
		if v.Name == name {
			return v
		}
	}
	t.Fatalf("no vector %s", name)
	return openapi.Vector{}
}

// AssertSameDocument asserts that got, the payload the handler received,
// re-marshalled, is want, the vendor's document: JSON-equal after dropping
// null members (webhooktest.NormalizeJSON: the generated types cannot tell
// a null from an absent member). Numbers must survive exactly (AtScale's
// time_taken 3.7080559730529785 once came back as a float32).
func AssertSameDocument(t *testing.T, want, got []byte) {
	t.Helper()
	var w, g map[string]any
	require.NoError(t, json.Unmarshal(want, &w))
	require.NoError(t, json.Unmarshal(got, &g))
	wb, err := json.Marshal(w)
	require.NoError(t, err)
	gb, err := json.Marshal(g)
	require.NoError(t, err)
	wn, err := webhooktest.NormalizeJSON(wb)
	require.NoError(t, err)
	gn, err := webhooktest.NormalizeJSON(gb)
	require.NoError(t, err)
	assert.JSONEq(t, string(wn), string(gn), "the handler receives exactly the vendor's values")
}

// DeadLetters returns the deliveries the receiver keeps as dead letters in
// its store's inbox (quarantined, invalid or exhausted).
func (e *Env) DeadLetters(t *testing.T) []store.Entry {
	t.Helper()
	p, err := e.Receiver.Inbox().List(context.Background(), store.Query{State: store.Dead, Limit: store.MaxPageSize})
	require.NoError(t, err)
	return p.Entries
}

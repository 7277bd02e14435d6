package webhooktest_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/sender"
	"github.com/hookgen/hookgen/runtime/webhooktest"
)

func TestRequest(t *testing.T) {
	ss := loadKit(t, specPath("stackstate"))
	butler := loadKit(t, specPath("butler"))
	netpulse := loadKit(t, specPath("netpulse"))
	billing := loadKit(t, billingSpec)
	open := vectorBody(t, "stackstate", "docs-open.json")
	getQuery := string(vectorBody(t, "butler", "docs-get.query"))
	post := vectorBody(t, "butler", "docs-post.json")
	fixed := time.Unix(1700000000, 0)

	tests := []struct {
		name     string
		kit      *webhooktest.Kit
		webhook  string
		method   string
		payload  any
		opts     []webhooktest.ReqOption
		wantURL  string
		wantBody []byte
		wantHdr  map[string]string
	}{
		{name: "token header", kit: ss, webhook: "notification", method: "POST", payload: open,
			opts:    []webhooktest.ReqOption{webhooktest.WithSecret("Token", ssToken)},
			wantURL: "http://receiver.test/stackstate/notification", wantBody: open,
			wantHdr: map[string]string{"X-Stackstate-Webhook-Token": ssToken, "Content-Type": "application/json"}},
		{name: "unauthenticated, base URL", kit: ss, webhook: "/stackstate/notification", payload: open,
			opts:    []webhooktest.ReqOption{webhooktest.WithBaseURL("http://x.test:8080/")},
			wantURL: "http://x.test:8080/stackstate/notification", wantBody: open,
			wantHdr: map[string]string{"X-Stackstate-Webhook-Token": ""}},
		{name: "butler GET verbatim query", kit: butler, webhook: "task-alert", method: "GET", payload: webhooktest.Query(getQuery),
			wantURL: "http://receiver.test/butler/task-alert?" + getQuery, wantHdr: map[string]string{"Content-Type": ""}},
		{name: "butler GET from JSON is URLSearchParams-encoded", kit: butler, webhook: "task-alert", method: "get", payload: post,
			wantURL: "http://receiver.test/butler/task-alert?" + getQuery},
		{name: "netpulse JSON on GET with basic", kit: netpulse, webhook: "result", method: "GET", payload: []byte(`{"id":"x"}`),
			opts:    []webhooktest.ReqOption{webhooktest.WithSecret("Basic", "netpulse:hookgen")},
			wantURL: "http://receiver.test/netpulse/result", wantBody: []byte(`{"id":"x"}`),
			wantHdr: map[string]string{"Authorization": "Basic bmV0cHVsc2U6aG9va2dlbg=="}},
		{name: "netpulse bearer", kit: netpulse, webhook: "result", method: "DELETE", payload: []byte(`{}`),
			opts:    []webhooktest.ReqOption{webhooktest.WithSecret("Bearer", "tok"), webhooktest.WithHeader("User-Agent", "netpulse/0.4.2")},
			wantURL: "http://receiver.test/netpulse/result", wantBody: []byte(`{}`),
			wantHdr: map[string]string{"Authorization": "Bearer tok", "User-Agent": "netpulse/0.4.2"}},
		{name: "standard webhooks signature at a fixed clock", kit: billing, webhook: "billing-event", payload: map[string]any{"type": "invoice.paid"},
			opts:    []webhooktest.ReqOption{webhooktest.WithSecret("StandardWebhook", billingKey), webhooktest.WithClock(func() time.Time { return fixed })},
			wantURL: "http://receiver.test/dynamic/billing-event", wantBody: []byte(`{"type":"invoice.paid"}`),
			wantHdr: map[string]string{"Webhook-Timestamp": "1700000000"}},
		{name: "content type override", kit: ss, webhook: "notification", payload: open,
			opts:    []webhooktest.ReqOption{webhooktest.WithContentType("text/plain")},
			wantURL: "http://receiver.test/stackstate/notification", wantBody: open,
			wantHdr: map[string]string{"Content-Type": "text/plain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := tt.kit.Request(tt.webhook, tt.method, tt.payload, tt.opts...)
			require.NoError(t, err)
			assert.Equal(t, tt.wantURL, req.URL.String())
			if tt.wantBody != nil {
				require.NotNil(t, req.Body)
				got, err := io.ReadAll(req.Body)
				require.NoError(t, err)
				assert.Equal(t, string(tt.wantBody), string(got))
			} else {
				assert.Nil(t, req.Body)
			}
			for k, v := range tt.wantHdr {
				assert.Equal(t, v, req.Header.Get(k), k)
			}
		})
	}
}

func TestRequestSignatureVerifies(t *testing.T) {
	k := loadKit(t, billingSpec)
	body := []byte(`{"type":"invoice.paid","id":"in_1","amount":1,"currency":"eur"}`)
	req, err := k.Request("billing-event", "POST", body, webhooktest.WithSecret("StandardWebhook", billingKey))
	require.NoError(t, err)
	a, err := auth.New(k.Family(), auth.Secrets{"StandardWebhook": {billingKey}})
	require.NoError(t, err)
	assert.NoError(t, a.Authenticate(&runtime.Request{Webhook: "billing-event", Method: "POST", Header: req.Header, Raw: body, Body: body}))
	assert.Error(t, a.Authenticate(&runtime.Request{Webhook: "billing-event", Method: "POST", Header: req.Header, Raw: append(body, ' '), Body: body}), "signed over the exact bytes")
}

func TestRequestErrors(t *testing.T) {
	ss := loadKit(t, specPath("stackstate"))
	_, err := ss.Request("nope", "POST", nil)
	assert.ErrorContains(t, err, `no webhook "nope"`)
	_, err = ss.Request("notification", "POST", nil, webhooktest.WithSecret("Nope", "x"))
	assert.ErrorContains(t, err, `no security scheme "Nope"`)
	_, err = ss.Request("notification", "POST", webhooktest.Query("a=b"))
	assert.ErrorContains(t, err, "not a query")
	_, err = ss.Request("notification", "POST", nil, webhooktest.WithBaseURL("ftp://x"))
	assert.Error(t, err)
	_, err = ss.ExampleRequest("no-such-example")
	assert.ErrorContains(t, err, "no vector or request-body example")
}

func TestExampleRequest(t *testing.T) {
	ss := loadKit(t, specPath("stackstate"))
	req, err := ss.ExampleRequest("neg-text-plain")
	require.NoError(t, err)
	assert.Equal(t, "text/plain", req.Header.Get("Content-Type"))
	assert.Equal(t, "hookgen-test-token", req.Header.Get("X-StackState-Webhook-Token"))

	req, err = ss.ExampleRequest("docs-open", webhooktest.WithSecret("Token", ssToken))
	require.NoError(t, err)
	assert.Equal(t, ssToken, req.Header.Get("X-StackState-Webhook-Token"), "WithSecret replaces the vector's credential")

	butler := loadKit(t, specPath("butler"))
	req, err = butler.ExampleRequest("docs-get")
	require.NoError(t, err)
	assert.Equal(t, http.MethodGet, req.Method)
	assert.Equal(t, string(vectorBody(t, "butler", "docs-get.query")), req.URL.RawQuery)

	none, err := webhooktest.Load(specPath("stackstate"), webhooktest.WithVectors(nil))
	require.NoError(t, err)
	assert.Empty(t, none.Vectors())
	_, err = none.ExampleRequest("docs-open")
	assert.Error(t, err)

	// A spec's own named request-body example.
	dir := t.TempDir()
	spec := writeSpecWithExample(t, dir)
	k := loadKit(t, spec)
	req, err = k.ExampleRequest("paid")
	require.NoError(t, err)
	b, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"invoice.paid","id":"in_9"}`, string(b))
	assert.Equal(t, "/dynamic/billing-event", req.URL.Path)
}

func TestVectorRequest(t *testing.T) {
	k := loadKit(t, specPath("butler"))
	s, err := sender.New(k.Family(), "http://receiver.test")
	require.NoError(t, err)
	v, ok := k.Vector("hookgen-service-monitor-get")
	require.True(t, ok)
	req, err := webhooktest.VectorRequest(context.Background(), s, v)
	require.NoError(t, err)
	assert.Equal(t, v.Query, req.URL.RawQuery)
	v, _ = k.Vector("neg-text-plain")
	req, err = webhooktest.VectorRequest(context.Background(), s, v)
	require.NoError(t, err)
	assert.Equal(t, "text/plain", req.Header.Get("Content-Type"))
	v.Webhook = "nope"
	_, err = webhooktest.VectorRequest(context.Background(), s, v)
	assert.Error(t, err)
}

func TestDocument(t *testing.T) {
	k := loadKit(t, specPath("butler"))
	v, _ := k.Vector("docs-get")
	doc, err := k.Document(v)
	require.NoError(t, err)
	assert.JSONEq(t, string(vectorBody(t, "butler", "docs-post.json")), string(doc), "GET and POST carry the same document")
	v, _ = k.Vector("docs-post")
	doc, err = k.Document(v)
	require.NoError(t, err)
	assert.Equal(t, v.Body, doc)
	v.Webhook = "nope"
	v.Query = "a=b"
	_, err = k.Document(v)
	assert.Error(t, err)
}

package generator_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/generator"
	billing "github.com/hookgen/hookgen/generator/testdata/billing31/out"
	stackstate "github.com/hookgen/hookgen/generator/testdata/stackstate303/out"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
)

type ssHandler struct {
	stackstate.Unimplemented
	mu  sync.Mutex
	got []*stackstate.Envelope
}

func (h *ssHandler) HandleEvent(_ context.Context, _ *runtime.Delivery, p *stackstate.Envelope) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, p)
	return nil
}

// TestThirdPartyStackState303 runs the receiver generated from StackState's
// own 3.0.3 multi-file spec shape, unmodified: the token scheme is wired
// automatically and a wrong token gets the spec's 404 "Invalid token.".
func TestThirdPartyStackState303(t *testing.T) {
	h := &ssHandler{}
	// Sync: the handler runs before the answer (single-attempt senders
	// default to the durable inbox).
	rc, err := stackstate.New(h, receiver.WithSecrets(auth.Secrets{"Token": {"s3cret-token"}}), receiver.WithMode(receiver.Sync))
	require.NoError(t, err)
	hh := rc.Handler()
	defer rc.Close()
	srv := httptest.NewServer(hh)
	defer srv.Close()

	body, err := os.ReadFile(filepath.Join("..", "openapi", "examples", "stackstate", "docs-open.json"))
	require.NoError(t, err)
	s, err := stackstate.NewSender(srv.URL, sender.WithSecret("Token", "s3cret-token"))
	require.NoError(t, err)
	res, err := s.Raw().Send(context.Background(), "handleEvent", "POST", body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, res.Status)
	require.Len(t, h.got, 1)
	assert.Equal(t, "836f628c-1258-4500-b1c7-23884e00f439", h.got[0].NotificationId.String())
	ev, err := h.got[0].Event.AsOpenEvent()
	require.NoError(t, err)
	assert.Equal(t, int64(1702635356757), ev.TriggeredTimeMs)

	bad, err := stackstate.NewSender(srv.URL, sender.WithSecret("Token", "wrong"))
	require.NoError(t, err)
	res, err = bad.Raw().Send(context.Background(), "handleEvent", "POST", body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, res.Status)
	assert.NotContains(t, string(res.Body), "wrong")
	assert.Len(t, h.got, 1)
}

type billingHandler struct {
	billing.Unimplemented
	paid chan *billing.InvoicePaid
}

func (h billingHandler) InvoicePaid(_ context.Context, _ *runtime.Delivery, p *billing.InvoicePaid) error {
	h.paid <- p
	return nil
}

// TestThirdPartyBilling31 runs the receiver generated from a 3.1
// discriminated Standard Webhooks spec: signed deliveries dispatch on the
// discriminator mapping, answer the spec's 204, and deduplicate on
// webhook-id; a bad signature gets 401.
func TestThirdPartyBilling31(t *testing.T) {
	const key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	h := billingHandler{paid: make(chan *billing.InvoicePaid, 4)}
	rc, err := billing.New(h, receiver.WithSecrets(auth.Secrets{"StandardWebhook": {key}}))
	require.NoError(t, err)
	hh := rc.Handler()
	defer rc.Close()
	srv := httptest.NewServer(hh)
	defer srv.Close()
	s, err := billing.NewSender(srv.URL, sender.WithSecret("StandardWebhook", key))
	require.NoError(t, err)

	body := []byte(`{"type":"invoice.paid","id":"in_123","amount":4200,"currency":"eur"}`)
	req, err := s.Raw().Request(context.Background(), "billing-event", "POST", body, sender.WithCallHeader("webhook-id", "msg_1"))
	require.NoError(t, err)
	res, err := s.Raw().Do(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, res.Status)
	select {
	case p := <-h.paid:
		assert.Equal(t, 4200, p.Amount)
	case <-time.After(5 * time.Second):
		t.Fatal("handler not called")
	}

	// The same webhook-id again is a duplicate: acknowledged, not handled.
	req, err = s.Raw().Request(context.Background(), "billing-event", "POST", body, sender.WithCallHeader("webhook-id", "msg_1"))
	require.NoError(t, err)
	res, err = s.Raw().Do(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, res.Status)
	assert.Equal(t, "duplicate", res.Header.Get(receiver.OutcomeHeader))
	assert.Empty(t, h.paid)

	// Tampered body: signature mismatch.
	req, err = s.Raw().Request(context.Background(), "billing-event", "POST", body, sender.WithCallHeader("webhook-id", "msg_2"))
	require.NoError(t, err)
	req.Body = httptestBody(bytes.Replace(body, []byte("4200"), []byte("9999"), 1))
	req.ContentLength = -1
	res, err = s.Raw().Do(req)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, res.Status)
}

// TestLoadKeepsDiscriminatorMapping: after internalising the sibling file,
// the discriminator mapping still names the internalised components (a
// regression: a second name for the same schema broke kin-openapi's
// discriminator and oapi-codegen's ValueByDiscriminator).
func TestLoadKeepsDiscriminatorMapping(t *testing.T) {
	doc, err := generator.Load(context.Background(), generator.Config{Spec: filepath.Join("testdata", "stackstate303", "openapi.yaml")})
	require.NoError(t, err)
	ev := doc.Components.Schemas["Event"].Value
	assert.Equal(t, "#/components/schemas/OpenEvent", ev.Discriminator.Mapping["open"].Ref)
	assert.Len(t, doc.Components.Schemas, 7)
	body, err := os.ReadFile(filepath.Join("..", "openapi", "examples", "stackstate", "docs-open.json"))
	require.NoError(t, err)
	pi := doc.Paths.Value("/")
	req, _ := http.NewRequest("POST", "http://x/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req, Route: &routers.Route{Spec: doc, Path: "/", PathItem: pi, Method: "POST", Operation: pi.Post},
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	})
	require.NoError(t, err, "kin-openapi must accept the vendor's open example against the loaded spec")
}

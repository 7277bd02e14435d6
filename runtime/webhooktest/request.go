package webhooktest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/openapi"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/query"
	"github.com/hookgen/hookgen/runtime/sender"
)

// DefaultBaseURL is the base URL of requests built without WithBaseURL.
// It suits http.Handler.ServeHTTP, which ignores the host.
const DefaultBaseURL = "http://receiver.test"

// ReqOption configures the requests the kit builds (Request,
// ExampleRequest and the scenarios).
type ReqOption func(*reqConfig)

type reqConfig struct {
	ctx     context.Context
	base    string
	secrets map[string]string
	header  http.Header
	ctype   string
	now     func() time.Time
}

func newReqConfig(opts []ReqOption) reqConfig {
	c := reqConfig{ctx: context.Background(), base: DefaultBaseURL, secrets: map[string]string{}, header: http.Header{}, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithSecret authenticates the request for the named security scheme as
// the vendor does (see sender.WithSecret): the token (apiKey, bearer),
// "user:password" (basic), the HMAC key, or a PEM private key (RSA
// signatures). Several calls set several schemes; a later call for the
// same scheme wins. Default: unauthenticated.
func WithSecret(scheme, secret string) ReqOption {
	return func(c *reqConfig) { c.secrets[scheme] = secret }
}

// WithBaseURL sets the scheme and host the webhook's path is appended to.
// Default: DefaultBaseURL.
func WithBaseURL(u string) ReqOption { return func(c *reqConfig) { c.base = u } }

// WithHeader adds a header to the request.
func WithHeader(key, value string) ReqOption {
	return func(c *reqConfig) { c.header.Add(key, value) }
}

// WithContentType replaces the Content-Type of a request with a body
// (default application/json), to test how a receiver answers a wrong one.
func WithContentType(ct string) ReqOption { return func(c *reqConfig) { c.ctype = ct } }

// WithClock sets the clock signature timestamps are taken from. Default:
// time.Now.
func WithClock(now func() time.Time) ReqOption { return func(c *reqConfig) { c.now = now } }

// WithRequestContext sets the context of the request. Default:
// context.Background().
func WithRequestContext(ctx context.Context) ReqOption {
	return func(c *reqConfig) { c.ctx = ctx }
}

// sender builds the runtime sender for c.
func (k *Kit) sender(c reqConfig) (*sender.Sender, error) {
	opts := []sender.Option{sender.WithClock(c.now)}
	names := make([]string, 0, len(c.secrets))
	for n := range c.secrets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, ok := k.fam.Schemes[n]; !ok {
			return nil, fmt.Errorf("webhooktest: %s has no security scheme %q", k.fam.Name, n)
		}
		opts = append(opts, sender.WithSecret(n, c.secrets[n]))
	}
	return sender.New(k.fam, c.base, opts...)
}

// Request builds the request the vendor sends to webhook (its name or
// path) with method ("" for the webhook's first method): the JSON body on
// any method, or for query-encoded methods (Butler GET) the query string
// as WHATWG URLSearchParams encodes the document, a Query payload being
// used verbatim; authentication and signatures from WithSecret, computed
// over the exact bytes sent. The payload is what Validate takes. It is
// built on runtime/sender, so it is byte for byte what the generated
// senders send.
func (k *Kit) Request(webhook, method string, p any, opts ...ReqOption) (*http.Request, error) {
	c := newReqConfig(opts)
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	return k.request(c, webhook, method, pl)
}

func (k *Kit) request(c reqConfig, webhook, method string, pl payload) (*http.Request, error) {
	w := k.webhook(webhook)
	if w == nil {
		return nil, fmt.Errorf("webhooktest: %s has no webhook %q", k.fam.Name, webhook)
	}
	method = strings.ToUpper(method)
	if method == "" {
		method = w.Methods[0]
	}
	s, err := k.sender(c)
	if err != nil {
		return nil, err
	}
	var callOpts []sender.CallOption
	for key, vs := range c.header {
		for _, v := range vs {
			callOpts = append(callOpts, sender.WithCallHeader(key, v))
		}
	}
	body := pl.body
	if pl.isQuery {
		if w.Encoding[method] != runtime.QueryParams {
			return nil, fmt.Errorf("webhooktest: %s %s takes a JSON body, not a query", method, w.Name)
		}
		body = []byte("{}")
	}
	req, err := s.Request(c.ctx, w.Name, method, body, callOpts...)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: %w", err)
	}
	if pl.isQuery {
		q := pl.query
		if extra := req.URL.RawQuery; extra != "" { // an apiKey in the query
			if q != "" {
				q += "&"
			}
			q += extra
		}
		req.URL.RawQuery = q
	}
	if c.ctype != "" && req.Body != nil {
		req.Header.Set("Content-Type", c.ctype)
	}
	return req, nil
}

// ExampleRequest builds the request of a named example: a test vector
// (see WithVectors) with its webhook, method, content type, headers and
// body or query, or else a named request-body example of the spec
// (components examples referenced from, or inline in, an operation's
// application/json content). Options apply on top (WithSecret replaces a
// credential header the vector carries).
func (k *Kit) ExampleRequest(name string, opts ...ReqOption) (*http.Request, error) {
	if v, ok := k.Vector(name); ok {
		var pre []ReqOption
		keys := make([]string, 0, len(v.Headers))
		for h := range v.Headers {
			keys = append(keys, h)
		}
		sort.Strings(keys)
		for _, h := range keys {
			pre = append(pre, WithHeader(h, v.Headers[h]))
		}
		if v.ContentType != "" {
			pre = append(pre, WithContentType(v.ContentType))
		}
		c := newReqConfig(append(pre, opts...))
		pl := payload{body: v.Body}
		if v.Query != "" || (v.Body == nil && strings.HasSuffix(v.File, ".query")) {
			pl = payload{query: strings.TrimSpace(v.Query), isQuery: true}
		}
		return k.request(c, v.Webhook, v.Method, pl)
	}
	webhook, method, value, ok := k.specExample(name)
	if !ok {
		return nil, fmt.Errorf("webhooktest: %s has no vector or request-body example %q", k.spec, name)
	}
	body, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: example %q: %w", name, err)
	}
	return k.request(newReqConfig(opts), webhook, method, payload{body: body})
}

// specExample finds a named request-body example in the spec.
func (k *Kit) specExample(name string) (webhook, method string, value any, ok bool) {
	type item struct {
		names []string
		pi    *openapi3.PathItem
	}
	var items []item
	keys := make([]string, 0, len(k.doc.Webhooks))
	for key := range k.doc.Webhooks {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		items = append(items, item{[]string{key}, k.doc.Webhooks[key]})
	}
	if k.doc.Paths != nil {
		paths := k.doc.Paths.Keys()
		sort.Strings(paths)
		for _, p := range paths {
			pi := k.doc.Paths.Value(p)
			names := []string{p}
			for _, op := range pi.Operations() {
				if op.OperationID != "" {
					names = append(names, op.OperationID)
				}
			}
			items = append(items, item{names, pi})
		}
	}
	for _, it := range items {
		var w *runtime.Webhook
		for _, n := range it.names {
			if w = k.webhook(n); w != nil {
				break
			}
		}
		if w == nil {
			continue
		}
		ops := it.pi.Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, m := range methods {
			op := ops[m]
			if op.RequestBody == nil || op.RequestBody.Value == nil || !slices.Contains(w.Methods, strings.ToUpper(m)) {
				continue
			}
			for _, mt := range op.RequestBody.Value.Content {
				if ex, found := mt.Examples[name]; found && ex != nil && ex.Value != nil {
					return w.Name, strings.ToUpper(m), ex.Value.Value, true
				}
			}
		}
	}
	return "", "", nil, false
}

// VectorRequest builds the request of test vector v with s, the runtime
// sender of v's family (a generated sender's Raw()): v's webhook, method,
// body sent byte for byte (or, for a query vector, its raw query string
// verbatim), its Content-Type and headers, then s's authentication, which
// replaces a credential header of the vector. Oversize vectors keep their
// padded body.
func VectorRequest(ctx context.Context, s *sender.Sender, v openapi.Vector) (*http.Request, error) {
	var opts []sender.CallOption
	keys := make([]string, 0, len(v.Headers))
	for h := range v.Headers {
		keys = append(keys, h)
	}
	sort.Strings(keys)
	for _, h := range keys {
		opts = append(opts, sender.WithCallHeader(h, v.Headers[h]))
	}
	body := v.Body
	isQuery := v.Query != "" || strings.HasSuffix(v.File, ".query")
	if isQuery {
		body = []byte("{}")
	}
	req, err := s.Request(ctx, v.Webhook, v.Method, body, opts...)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: vector %s: %w", v.Name, err)
	}
	if isQuery {
		q := strings.TrimSpace(v.Query)
		if extra := req.URL.RawQuery; extra != "" {
			q += "&" + extra
		}
		req.URL.RawQuery = q
	}
	if v.ContentType != "" && req.Body != nil {
		req.Header.Set("Content-Type", v.ContentType)
	}
	return req, nil
}

// Document returns the JSON document a receiver of the kit's spec decodes
// from test vector v: its body, or for a query vector the document built
// from the query (what the handler's payload must marshal back to).
func (k *Kit) Document(v openapi.Vector) ([]byte, error) {
	if v.Query == "" && !strings.HasSuffix(v.File, ".query") {
		return v.Body, nil
	}
	w := k.webhook(v.Webhook)
	if w == nil || w.QueryBody == nil {
		return nil, fmt.Errorf("webhooktest: vector %s: webhook %q takes no query", v.Name, v.Webhook)
	}
	q, err := query.Parse(v.Query)
	if err != nil {
		return nil, fmt.Errorf("webhooktest: vector %s: %w", v.Name, err)
	}
	return w.QueryBody(&runtime.Request{Method: strings.ToUpper(v.Method), Query: q})
}

// Package sender sends webhooks to a receiver the way a vendor does: the
// webhook's path, method and encoding (JSON body on any method, or query
// parameters encoded as WHATWG URLSearchParams does), and authentication or
// signatures from configured secrets. Generated typed senders and the
// `hookgen send` simulator are built on it.
package sender

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/query"
)

// Sender sends one family's webhooks. It is safe for concurrent use.
type Sender struct {
	fam     *runtime.Family
	base    string
	client  *http.Client
	secrets map[string]string
	paths   map[string]string
	header  http.Header
	now     func() time.Time
}

// Option configures a Sender.
type Option func(*Sender)

// WithHTTPClient sets the HTTP client (default: a client with a 10 s
// timeout, Butler's and NetPulse's default order of magnitude).
func WithHTTPClient(c *http.Client) Option { return func(s *Sender) { s.client = c } }

// WithSecret sets the secret for a security scheme of the spec: the token
// (apiKey, bearer), "user:password" (basic), the HMAC key, or a PEM private
// key (RSA signatures). Without a secret for any requirement the request is
// sent unauthenticated, as a misconfigured vendor would.
func WithSecret(scheme, secret string) Option {
	return func(s *Sender) { s.secrets[scheme] = secret }
}

// WithPath overrides the path of one webhook (as the receiver's
// receiver.WithPath does).
func WithPath(webhook, path string) Option { return func(s *Sender) { s.paths[webhook] = path } }

// WithHeader adds a header to every request (for instance the User-Agent a
// vendor sends).
func WithHeader(key, value string) Option { return func(s *Sender) { s.header.Add(key, value) } }

// WithClock sets the clock used for signature timestamps (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Sender) { s.now = now } }

// New returns a Sender for fam's webhooks at baseURL.
func New(fam *runtime.Family, baseURL string, opts ...Option) (*Sender, error) {
	if !strings.HasPrefix(baseURL, "http://") && !strings.HasPrefix(baseURL, "https://") {
		return nil, fmt.Errorf("sender: base URL %q must start with http:// or https://", baseURL)
	}
	s := &Sender{
		fam:     fam,
		base:    strings.TrimRight(baseURL, "/"),
		client:  &http.Client{Timeout: 10 * time.Second},
		secrets: map[string]string{},
		paths:   map[string]string{},
		header:  http.Header{},
		now:     time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Family returns the family the sender sends.
func (s *Sender) Family() *runtime.Family { return s.fam }

// CallOption configures one send.
type CallOption func(*call)

type call struct {
	method string
	header http.Header
}

// WithMethod sends with another of the webhook's methods (Butler: GET, POST
// or PUT; NetPulse: any of five, always with a JSON body).
func WithMethod(m string) CallOption { return func(c *call) { c.method = strings.ToUpper(m) } }

// WithCallHeader adds a header to this request only.
func WithCallHeader(key, value string) CallOption {
	return func(c *call) { c.header.Add(key, value) }
}

// Result is what one request got back.
type Result struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the response body (at most 64 KiB).
	Body []byte
	// Latency is the time from sending to reading the response.
	Latency time.Duration
	// URL and Method are what was requested.
	URL, Method string
}

// SendValue marshals v to JSON and sends it like Send.
func (s *Sender) SendValue(ctx context.Context, webhook, method string, v any, opts ...CallOption) (*Result, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sender: marshal payload: %w", err)
	}
	return s.Send(ctx, webhook, method, body, opts...)
}

// Send sends body (a JSON document) to the named webhook with method (a
// CallOption may override it). For query-encoded methods the document is
// turned into query parameters and no body is sent.
func (s *Sender) Send(ctx context.Context, webhook, method string, body []byte, opts ...CallOption) (*Result, error) {
	req, err := s.Request(ctx, webhook, method, body, opts...)
	if err != nil {
		return nil, err
	}
	return s.Do(req)
}

// Request builds the request Send would send, for callers that want to
// send it themselves (or tamper with it in tests).
func (s *Sender) Request(ctx context.Context, webhook, method string, body []byte, opts ...CallOption) (*http.Request, error) {
	c := call{method: strings.ToUpper(method), header: http.Header{}}
	for _, o := range opts {
		o(&c)
	}
	w := s.webhook(webhook)
	if w == nil {
		return nil, fmt.Errorf("sender: %s has no webhook %q (have %s)", s.fam.Name, webhook, strings.Join(s.webhookNames(), ", "))
	}
	if c.method == "" && len(w.Methods) > 0 {
		c.method = w.Methods[0]
	}
	path := w.Path
	if p, ok := s.paths[webhook]; ok {
		path = p
	}
	u := s.base + path
	var rd io.Reader
	var sent []byte
	if w.Encoding[c.method] == runtime.QueryParams {
		q, err := query.Encode(body, w.Query)
		if err != nil {
			return nil, err
		}
		// URLSearchParams replaces any query already on the URL.
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		if q != "" {
			u += "?" + q
		}
	} else {
		sent = body
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if sent != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	for k, vs := range c.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if err := s.authenticate(req, s.fam.Requirements(w, c.method), sent); err != nil {
		return nil, err
	}
	return req, nil
}

// Do sends a request built by Request and reads the answer.
func (s *Sender) Do(req *http.Request) (*Result, error) {
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sender: %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_, _ = io.Copy(io.Discard, resp.Body)
	return &Result{Status: resp.StatusCode, Header: resp.Header, Body: b, Latency: time.Since(start), URL: req.URL.Redacted(), Method: req.Method}, nil
}

// authenticate applies the first of the operation's security requirements
// whose every scheme has a secret. With none satisfiable the request goes
// out as is.
func (s *Sender) authenticate(req *http.Request, reqs []runtime.SecurityRequirement, body []byte) error {
	for _, r := range reqs {
		if len(r) == 0 {
			continue
		}
		ok := true
		for _, name := range r {
			if _, has := s.secrets[name]; !has {
				ok = false
			}
		}
		if !ok {
			continue
		}
		for _, name := range r {
			if err := auth.Sign(req, body, s.fam.Schemes[name], s.secrets[name], s.now()); err != nil {
				return fmt.Errorf("sender: sign with %s: %w", name, err)
			}
		}
		return nil
	}
	return nil
}

func (s *Sender) webhook(name string) *runtime.Webhook {
	for i := range s.fam.Webhooks {
		if s.fam.Webhooks[i].Name == name {
			return &s.fam.Webhooks[i]
		}
	}
	return nil
}

func (s *Sender) webhookNames() []string {
	var out []string
	for _, w := range s.fam.Webhooks {
		out = append(out, w.Name)
	}
	sort.Strings(out)
	return out
}

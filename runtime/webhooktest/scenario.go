package webhooktest

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
)

// DefaultWait bounds how long a scenario waits for a blocked handler
// (WithWait).
const DefaultWait = 10 * time.Second

// Scenario drives one receiver through delivery scenarios. Build it with
// Kit.Scenario. The receiver must run the kit's spec (generated from it,
// or its dynamic family). A Scenario holds no state between runs; run
// scenarios one at a time when they share a Recorder.
type Scenario struct {
	kit    *Kit
	target Target
	rec    *Recorder
	opts   []ReqOption
	wait   time.Duration
}

// Scenario returns a scenario driver for target. rec is the Recorder the
// receiver's handler records into (nil: Result.Calls stays 0 and
// ConcurrentDuplicate is unavailable); opts apply to every request (pass
// the vendor's credentials with WithSecret).
func (k *Kit) Scenario(target Target, rec *Recorder, opts ...ReqOption) *Scenario {
	return &Scenario{kit: k, target: target, rec: rec, opts: opts, wait: DefaultWait}
}

// WithWait returns a copy of s that waits at most d for a blocked handler.
func (s *Scenario) WithWait(d time.Duration) *Scenario {
	c := *s
	c.wait = d
	return &c
}

// Result is what happened in one scenario.
type Result struct {
	// Steps names each request, parallel to Responses.
	Steps []string
	// Responses are the answers, in the order the scenario documents.
	Responses []Response
	// Calls is the number of handler calls recorded during the scenario.
	Calls int
	// Sent lists the wrong credentials WrongToken presented, so that a
	// test can check that no answer echoes them.
	Sent []string
}

// Statuses lists the statuses of the responses.
func (r *Result) Statuses() []int {
	out := make([]int, len(r.Responses))
	for i, x := range r.Responses {
		out[i] = x.Status
	}
	return out
}

// Outcomes lists the Hookgen-Outcome headers of the responses.
func (r *Result) Outcomes() []string {
	out := make([]string, len(r.Responses))
	for i, x := range r.Responses {
		out[i] = x.Outcome
	}
	return out
}

// Step returns the response of the named step.
func (r *Result) Step(name string) (Response, bool) {
	for i, s := range r.Steps {
		if s == name {
			return r.Responses[i], true
		}
	}
	return Response{}, false
}

// run starts a result, counting handler calls from now.
func (s *Scenario) run() (*Result, func()) {
	res := &Result{}
	before := 0
	if s.rec != nil {
		before = s.rec.Count("")
	}
	return res, func() {
		if s.rec != nil {
			res.Calls = s.rec.Count("") - before
		}
	}
}

// send builds one request with the scenario's options plus extra and sends it.
func (s *Scenario) send(res *Result, step, webhook, method string, pl payload, extra ...ReqOption) error {
	req, err := s.build(webhook, method, pl, extra...)
	if err != nil {
		return err
	}
	return s.do(res, step, req)
}

func (s *Scenario) build(webhook, method string, pl payload, extra ...ReqOption) (*http.Request, error) {
	opts := append(append([]ReqOption{}, s.opts...), extra...)
	opts = append(opts, WithBaseURL(s.target.base))
	return s.kit.request(newReqConfig(opts), webhook, method, pl)
}

func (s *Scenario) do(res *Result, step string, req *http.Request) error {
	r, err := s.target.Do(req)
	if err != nil {
		return fmt.Errorf("webhooktest: step %s: %w", step, err)
	}
	res.Steps = append(res.Steps, step)
	res.Responses = append(res.Responses, r)
	return nil
}

// frozen pins the signing clock so that repeated requests are byte for
// byte identical, signatures included, as a vendor's retry is.
func (s *Scenario) frozen() ReqOption {
	now := newReqConfig(s.opts).now()
	return WithClock(func() time.Time { return now })
}

// DuplicateDelivery sends the same delivery twice, one after the other,
// byte for byte (steps "first" and "duplicate"). A correct receiver
// processes the first, acknowledges the second with the success status and
// Hookgen-Outcome "duplicate", and calls the handler once.
func (s *Scenario) DuplicateDelivery(webhook, method string, p any) (*Result, error) {
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	res, done := s.run()
	defer done()
	clock := s.frozen()
	for _, step := range []string{"first", "duplicate"} {
		if err := s.send(res, step, webhook, method, pl, clock); err != nil {
			return res, err
		}
	}
	return res, nil
}

// ConcurrentDuplicate sends a delivery, makes its handler block (through
// the Recorder), sends the same delivery again while the first is in
// flight, then lets the first finish. Steps: "first" (answered after the
// release) and "in-flight" (the second). A correct receiver never answers
// the second with a 2xx (the sender must come back: retry status +
// Retry-After) and calls the handler once.
func (s *Scenario) ConcurrentDuplicate(webhook, method string, p any) (*Result, error) {
	if s.rec == nil {
		return nil, errors.New("webhooktest: ConcurrentDuplicate needs the receiver's Recorder: pass it to Kit.Scenario")
	}
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	clock := s.frozen()
	first, err := s.build(webhook, method, pl, clock)
	if err != nil {
		return nil, err
	}
	second, err := s.build(webhook, method, pl, clock)
	if err != nil {
		return nil, err
	}
	res, done := s.run()
	defer done()
	gate := NewGate()
	defer gate.Release()
	s.rec.Once(Block(gate))
	type answer struct {
		r   Response
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		r, err := s.target.Do(first)
		ch <- answer{r, err}
	}()
	timer := time.NewTimer(s.wait)
	defer timer.Stop()
	select {
	case <-gate.Entered():
	case a := <-ch:
		if a.err != nil {
			return res, fmt.Errorf("webhooktest: step first: %w", a.err)
		}
		return res, fmt.Errorf("webhooktest: the first delivery was answered %d (%s) without reaching the handler", a.r.Status, a.r.Outcome)
	case <-timer.C:
		return res, fmt.Errorf("webhooktest: the handler was not called within %s", s.wait)
	}
	r2, err2 := s.target.Do(second)
	gate.Release()
	a := <-ch
	if a.err != nil {
		return res, fmt.Errorf("webhooktest: step first: %w", a.err)
	}
	if err2 != nil {
		return res, fmt.Errorf("webhooktest: step in-flight: %w", err2)
	}
	res.Steps = []string{"first", "in-flight"}
	res.Responses = []Response{a.r, r2}
	return res, nil
}

// Lifecycle is the messages of one ordered entity (same entity key, such
// as StackState's notificationId): Open, a later Update (a newer version)
// and the terminal Close.
type Lifecycle struct {
	Open, Update, Close any
}

// OutOfOrder sends a lifecycle out of order, for families with
// x-hookgen-ordering: the close first (step "close"), then the open
// (step "open-after-close", an older version after the terminal message),
// then the update (step "update-after-close"). A correct receiver
// processes the close and acknowledges the other two with the success
// status and a dropped outcome ("dropped-after-terminal" or
// "dropped-stale"), calling the handler once.
func (s *Scenario) OutOfOrder(webhook, method string, l Lifecycle) (*Result, error) {
	steps := []struct {
		name string
		p    any
	}{{"close", l.Close}, {"open-after-close", l.Open}, {"update-after-close", l.Update}}
	res, done := s.run()
	defer done()
	for _, st := range steps {
		pl, err := resolve(st.p)
		if err != nil {
			return res, err
		}
		if err := s.send(res, st.name, webhook, method, pl); err != nil {
			return res, err
		}
	}
	return res, nil
}

// timestampedScheme returns the scheme configured with WithSecret whose
// signature carries a timestamp.
func (s *Scenario) timestampedScheme() (string, error) {
	c := newReqConfig(s.opts)
	for name := range c.secrets {
		if sc, ok := s.kit.fam.Schemes[name]; ok && sc.Kind == runtime.Signature && sc.Signature != nil && sc.Signature.TimestampHeader != "" {
			return name, nil
		}
	}
	return "", fmt.Errorf("webhooktest: ClockSkew needs a timestamped signature scheme with a secret (WithSecret); %s has none configured", s.kit.fam.Name)
}

// ClockSkew signs the delivery with a clock skew away from now, in the
// past (step "past") and in the future (step "future"), then at now (step
// "now"). It needs a timestamped signature scheme (Standard Webhooks,
// Stripe) whose secret was given with WithSecret. With skew beyond the
// receiver's replay window a correct receiver refuses both skewed
// deliveries with the authentication failure status and no detail, and
// processes the third.
func (s *Scenario) ClockSkew(webhook, method string, p any, skew time.Duration) (*Result, error) {
	if _, err := s.timestampedScheme(); err != nil {
		return nil, err
	}
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	now := newReqConfig(s.opts).now()
	res, done := s.run()
	defer done()
	for _, st := range []struct {
		name string
		at   time.Time
	}{{"past", now.Add(-skew)}, {"future", now.Add(skew)}, {"now", now}} {
		at := st.at
		if err := s.send(res, st.name, webhook, method, pl, WithClock(func() time.Time { return at })); err != nil {
			return res, err
		}
	}
	return res, nil
}

// SecretRotation sends the delivery signed or authenticated with each of
// valid (steps "valid-0", "valid-1", …), then with each of removed (steps
// "removed-0", …), for the security scheme named scheme. The values are
// what the vendor holds (for RSA schemes the PEM private keys). A receiver
// configured with the valid secrets accepts every valid step (the first
// processed, the others acknowledged as duplicates of it) and refuses
// every removed step with the authentication failure status.
func (s *Scenario) SecretRotation(webhook, method, scheme string, valid, removed []string, p any) (*Result, error) {
	if _, ok := s.kit.fam.Schemes[scheme]; !ok {
		return nil, fmt.Errorf("webhooktest: %s has no security scheme %q", s.kit.fam.Name, scheme)
	}
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	res, done := s.run()
	defer done()
	for _, grp := range []struct {
		prefix string
		list   []string
	}{{"valid", valid}, {"removed", removed}} {
		for i, secret := range grp.list {
			if err := s.send(res, fmt.Sprintf("%s-%d", grp.prefix, i), webhook, method, pl, WithSecret(scheme, secret)); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// OversizedBody sends base (nil: "{}") padded with trailing JSON
// whitespace to one byte past the family's max-body-bytes, once with a
// Content-Length (step "content-length") and once chunked, without one
// (step "chunked"). A correct receiver answers both 413 without calling
// the handler.
func (s *Scenario) OversizedBody(webhook, method string, base any) (*Result, error) {
	pl, err := resolve(base)
	if err != nil {
		return nil, err
	}
	if pl.isQuery {
		return nil, errors.New("webhooktest: OversizedBody needs a JSON body, not a query")
	}
	if len(pl.body) == 0 {
		pl.body = []byte("{}")
	}
	limit := s.kit.fam.Delivery.Defaults().MaxBodyBytes
	if pad := limit + 1 - int64(len(pl.body)); pad > 0 {
		pl.body = append(bytes.Clone(pl.body), bytes.Repeat([]byte{' '}, int(pad))...)
	}
	res, done := s.run()
	defer done()
	if err := s.send(res, "content-length", webhook, method, pl); err != nil {
		return res, err
	}
	req, err := s.build(webhook, method, pl)
	if err != nil {
		return res, err
	}
	req.ContentLength = -1
	req.Body = io.NopCloser(bytes.NewReader(pl.body))
	req.GetBody = nil
	if err := s.do(res, "chunked", req); err != nil {
		return res, err
	}
	return res, nil
}

// WrongToken sends the delivery with wrong credentials for every scheme
// of the operation's first non-empty security requirement (step "wrong"),
// then with none (step "missing"). A correct receiver answers both with
// the spec's authentication failure status, a problem document without
// detail that echoes nothing, no Hookgen-Outcome header, and does not call
// the handler. (For optional security, such as CenturyLink's signature,
// the "missing" step is only refused when the receiver enforces it.)
// Result.Sent holds the wrong credentials.
func (s *Scenario) WrongToken(webhook, method string, p any) (*Result, error) {
	var req runtime.SecurityRequirement
	var reqs []runtime.SecurityRequirement
	for i := range s.kit.fam.Webhooks {
		if w := &s.kit.fam.Webhooks[i]; w.Name == webhook {
			reqs = s.kit.fam.Requirements(w, strings.ToUpper(method))
		}
	}
	for _, r := range reqs {
		if len(r) > 0 {
			req = r
			break
		}
	}
	if req == nil {
		return nil, fmt.Errorf("webhooktest: %s declares no security: nothing to get wrong", s.kit.fam.Name)
	}
	pl, err := resolve(p)
	if err != nil {
		return nil, err
	}
	res, done := s.run()
	defer done()
	var wrong []ReqOption
	for _, name := range req {
		secret, shown, err := wrongSecret(s.kit.fam.Schemes[name])
		if err != nil {
			return res, err
		}
		res.Sent = append(res.Sent, shown)
		wrong = append(wrong, WithSecret(name, secret))
	}
	if err := s.send(res, "wrong", webhook, method, pl, wrong...); err != nil {
		return res, err
	}
	// "missing": the scenario's options without any secret.
	bare := &Scenario{kit: s.kit, target: s.target, opts: []ReqOption{withoutSecrets(s.opts)}}
	if err := bare.send(res, "missing", webhook, method, pl); err != nil {
		return res, err
	}
	return res, nil
}

// withoutSecrets applies opts, then drops the secrets they set.
func withoutSecrets(opts []ReqOption) ReqOption {
	return func(c *reqConfig) {
		for _, o := range opts {
			if o != nil {
				o(c)
			}
		}
		clear(c.secrets)
	}
}

// wrongSecret returns a credential for sc that no receiver holds, and the
// part of it that a leaking receiver would echo.
func wrongSecret(sc runtime.SecurityScheme) (secret, shown string, err error) {
	var b [12]byte
	_, _ = rand.Read(b[:])
	tok := "wrong-" + hex.EncodeToString(b[:])
	switch {
	case sc.Kind == runtime.Basic:
		return "intruder:" + tok, tok, nil
	case sc.Kind != runtime.Signature || sc.Signature == nil:
		return tok, tok, nil
	}
	switch sc.Signature.Format {
	case "rsa-sha1", "rsa-sha256":
		priv, _, err := auth.GenerateRSAKeyPair(1024)
		if err != nil {
			return "", "", err
		}
		return string(priv), "PRIVATE KEY", nil
	case "standard-webhooks":
		return "whsec_" + base64.StdEncoding.EncodeToString(b[:]), tok, nil
	}
	return tok, tok, nil
}

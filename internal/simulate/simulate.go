package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/expr"
	"github.com/hookgen/hookgen/runtime/query"
	"github.com/hookgen/hookgen/runtime/receiver"
	"github.com/hookgen/hookgen/runtime/sender"
)

// Scenarios Replay knows besides a plain replay.
const (
	ScenarioDuplicate = "duplicate"
	ScenarioReorder   = "reorder"
	ScenarioStorm     = "storm"
)

// Simulator defaults.
const (
	// RetryUntilSuccessInterval is how far apart StackState retries ("within
	// a few seconds"), before time scaling.
	RetryUntilSuccessInterval = 3 * time.Second
	// DefaultMaxAttempts bounds retry-until-success senders in the
	// simulator (the vendor never gives up).
	DefaultMaxAttempts = 20
	// DefaultStormCopies is the number of concurrent copies in a storm.
	DefaultStormCopies = 10
)

// DefaultRetrySchedule is NetPulse's (≥ 0.4.2) retry_intervals default; the
// last value is reused. DefaultMaxRetries is its max_retries default.
var DefaultRetrySchedule = []time.Duration{10 * time.Second, 30 * time.Second, 120 * time.Second}

// DefaultMaxRetries is NetPulse's (≥ 0.4.2) max_retries default.
const DefaultMaxRetries = 3

// Message is one payload to deliver.
type Message struct {
	// Name is the vector name or file the payload came from.
	Name string
	// Webhook and Method say where and how it is sent.
	Webhook, Method string
	// Body is the JSON document (query-encoded methods send it as query
	// parameters).
	Body []byte
	// ContentType overrides application/json when set (negative vectors).
	ContentType string
	// Header holds extra request headers (never credentials).
	Header map[string]string
	// Event is the event the payload is expected to dispatch to ("" if unknown).
	Event string
}

// SendConfig configures Replay.
type SendConfig struct {
	Spec *specrun.Spec
	// Bases are the receivers' base URLs; every message goes to each in
	// turn, as Butler calls its configured webhooks one after another.
	Bases []string
	// Secrets per scheme: tokens, user:password, PEM private keys.
	Secrets map[string]string
	// Scenario is "", ScenarioDuplicate, ScenarioReorder or ScenarioStorm.
	Scenario string
	// Method, when set, overrides every message's method.
	Method string
	// TimeScale multiplies every sender-side delay (retry intervals, rate
	// limit windows); 0 means 1.
	TimeScale float64
	// RateLimit overrides the spec's x-hookgen-rate-limit window (Butler);
	// RateLimitSet says it was given (0 then disables the limit).
	RateLimit    time.Duration
	RateLimitSet bool
	// Retries, when set, makes the sender retry failures on this schedule
	// (last value reused) up to MaxRetries times: NetPulse ≥ 0.4.2 on a
	// single-attempt spec. Limited-retries specs use their own schedule.
	Retries    []time.Duration
	MaxRetries int
	// MaxAttempts bounds retry-until-success senders (default DefaultMaxAttempts).
	MaxAttempts int
	// Copies is the number of concurrent copies in a storm (default DefaultStormCopies).
	Copies int
	// Seed seeds the reorder shuffle.
	Seed uint64
	// Client is the HTTP client (default: 10 s timeout).
	Client *http.Client
	// OnResult is called after each delivery (not concurrently).
	OnResult func(Result)
	// OnProgress is called with the deliveries done so far and the total.
	OnProgress func(done, total int)
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Try       int           `json:"try"`
	Status    int           `json:"status,omitempty"`
	Outcome   string        `json:"outcome,omitempty"`
	Latency   time.Duration `json:"latency_ns"`
	Error     string        `json:"error,omitempty"`
	StartedAt time.Time     `json:"started_at"`
}

// Result is one delivery: a message to one base URL, with its attempts.
type Result struct {
	Message  string    `json:"message"`
	Event    string    `json:"event,omitempty"`
	Webhook  string    `json:"webhook"`
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	Copy     int       `json:"copy,omitempty"`
	Attempts []Attempt `json:"attempts"`
	// Status and Outcome are those of the last attempt.
	Status  int    `json:"status"`
	Outcome string `json:"outcome,omitempty"`
	// Acked is true when the sender got the acknowledgement it wants.
	Acked bool `json:"acked"`
	// Dropped says why the sender never sent it: "rate-limit" or "superseded".
	Dropped string `json:"dropped,omitempty"`
	// Problem explains a failed delivery or scenario check.
	Problem string `json:"problem,omitempty"`
}

// OK reports whether the delivery went as the vendor expects: acknowledged,
// or dropped by the sender itself.
func (r Result) OK() bool { return r.Problem == "" && (r.Acked || r.Dropped != "") }

// Summary totals a replay.
type Summary struct {
	Family     string   `json:"family"`
	Dialect    string   `json:"dialect"`
	Sent       int      `json:"sent"`
	Accepted   int      `json:"accepted"`
	Duplicates int      `json:"duplicates"`
	Dropped    int      `json:"dropped"`
	Failures   int      `json:"failures"`
	Results    []Result `json:"-"`
}

// OK reports whether every delivery was acknowledged as the vendor expects.
func (s *Summary) OK() bool { return s.Failures == 0 }

// dialect is how the family's sender behaves.
type dialect struct {
	name        string
	untilStatus int             // retry-until-success: the only status that stops it
	schedule    []time.Duration // limited retries
	maxRetries  int
	success     int
}

func (d dialect) acked(status int) bool {
	if d.untilStatus != 0 {
		return status == d.untilStatus
	}
	return status == d.success || (status >= 200 && status < 400)
}

func dialectOf(s *specrun.Spec, cfg SendConfig) (dialect, error) {
	pol := s.Family.Delivery.Defaults()
	d := dialect{success: pol.SuccessStatus}
	switch pol.Mode {
	case runtime.RetryUntilSuccess:
		d.name, d.untilStatus = "retry-until-success", pol.SuccessStatus
	case runtime.LimitedRetries:
		d.name, d.maxRetries = "limited-retries", s.Model.Delivery.MaxRetries
		for _, v := range s.Model.Delivery.RetrySchedule {
			dur, err := time.ParseDuration(v)
			if err != nil {
				return d, fmt.Errorf("%s: retry-schedule %q: %v", s.Path, v, err)
			}
			d.schedule = append(d.schedule, dur)
		}
		if len(d.schedule) == 0 {
			d.schedule = DefaultRetrySchedule
		}
		if d.maxRetries == 0 {
			d.maxRetries = DefaultMaxRetries
		}
	default:
		d.name = "single-attempt"
	}
	if len(cfg.Retries) > 0 && d.untilStatus == 0 {
		d.name, d.schedule, d.maxRetries = "limited-retries", cfg.Retries, cfg.MaxRetries
		if d.maxRetries == 0 {
			d.maxRetries = DefaultMaxRetries
		}
	}
	return d, nil
}

// Messages turns vectors into messages. Query vectors become the JSON
// document the receiver would build from their query.
func Messages(s *specrun.Spec, vs []openapi.Vector) ([]Message, error) {
	out := make([]Message, 0, len(vs))
	for _, v := range vs {
		w := s.Webhook(v.Webhook)
		if w == nil {
			return nil, fmt.Errorf("vector %s: %s has no webhook %q", v.Name, s.Name(), v.Webhook)
		}
		body := v.Body
		if v.Query != "" || strings.HasSuffix(v.File, ".query") {
			b, err := queryToJSON(s, w, v.Query)
			if err != nil {
				return nil, fmt.Errorf("vector %s: %w", v.Name, err)
			}
			body = b
		}
		m := Message{Name: v.Name, Webhook: v.Webhook, Method: v.Method, Body: body, Event: v.Event, Header: map[string]string{}}
		if v.ContentType != "" && v.ContentType != "application/json" {
			m.ContentType = v.ContentType
		}
		drop := specrun.CredentialHeaders(s.Family)
		for k, val := range v.Headers {
			if !slices.Contains(drop, http.CanonicalHeaderKey(k)) {
				m.Header[k] = val
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func queryToJSON(s *specrun.Spec, w *runtime.Webhook, rawQuery string) ([]byte, error) {
	if w.QueryBody == nil {
		return nil, fmt.Errorf("webhook %s takes no query payloads", w.Name)
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, err
	}
	return w.QueryBody(&runtime.Request{Query: q})
}

// MessageFor targets a payload read from a file: the operation that
// accepts it (or, when none does, the closest candidate).
//
// With webhook set, only that webhook is considered (for families whose
// webhooks share a payload schema and differ by URL, such as CenturyLink's
// backup-failed and backup-success).
func MessageFor(s *specrun.Spec, p specrun.Payload, webhook ...string) (Message, error) {
	var ops []specrun.Operation
	if len(webhook) > 0 && webhook[0] != "" {
		for _, op := range s.Operations() {
			if op.Webhook == webhook[0] {
				ops = append(ops, op)
			}
		}
		if len(ops) == 0 {
			return Message{}, fmt.Errorf("%s has no webhook %q", s.Name(), webhook[0])
		}
	}
	v := s.Validate(p, ops, false)
	if v.Webhook == "" {
		return Message{}, fmt.Errorf("%s: no webhook of %s takes this payload: %s", p.Name, s.Name(), specrun.FormatErrors(v.Errors))
	}
	body := p.Body
	if p.IsQuery {
		b, err := queryToJSON(s, s.Webhook(v.Webhook), p.Query)
		if err != nil {
			return Message{}, fmt.Errorf("%s: %w", p.Name, err)
		}
		body = b
	}
	return Message{Name: p.Name, Webhook: v.Webhook, Method: v.Method, Body: body, Event: v.Event, Header: map[string]string{}}, nil
}

// payloadOf returns m as the receiver sees it: a query for query-encoded
// methods, else the JSON body.
func payloadOf(s *specrun.Spec, m Message) specrun.Payload {
	w := s.Webhook(m.Webhook)
	if w != nil && w.Encoding[m.Method] == runtime.QueryParams {
		if q, err := query.Encode(m.Body, w.Query); err == nil {
			return specrun.Payload{Name: m.Name, Query: q, IsQuery: true}
		}
	}
	return specrun.Payload{Name: m.Name, Body: m.Body}
}

// rateLimit is Butler's sender-side limit: one event per key per window.
type rateLimit struct {
	window time.Duration
	keys   map[string]string // event → key spec ("taskId", "host|serviceName", "'license-monitor'")
}

func rateLimits(s *specrun.Spec) map[specrun.Operation]rateLimit {
	out := map[specrun.Operation]rateLimit{}
	s.EachOperation(func(webhook, method string, op *openapi3.Operation) {
		raw, ok := op.Extensions["x-hookgen-rate-limit"]
		if !ok {
			return
		}
		b, err := json.Marshal(raw)
		if err != nil {
			return
		}
		var rl struct {
			DefaultSeconds float64           `json:"default-seconds"`
			Keys           map[string]string `json:"keys"`
		}
		if json.Unmarshal(b, &rl) != nil {
			return
		}
		out[specrun.Operation{Webhook: webhook, Method: method}] = rateLimit{window: time.Duration(rl.DefaultSeconds * float64(time.Second)), keys: rl.Keys}
	})
	return out
}

// rateKey resolves a key spec against a JSON body.
func rateKey(spec string, body []byte) string {
	var doc map[string]any
	_ = json.Unmarshal(body, &doc)
	parts := strings.Split(spec, "|")
	for i, p := range parts {
		if strings.HasPrefix(p, "'") && strings.HasSuffix(p, "'") && len(p) >= 2 {
			parts[i] = p[1 : len(p)-1]
			continue
		}
		parts[i] = fmt.Sprint(doc[p])
	}
	return strings.Join(parts, "|")
}

// entity resolves the ordering entity of a message ("" when unordered).
func entity(s *specrun.Spec, m Message) string {
	for _, w := range s.Model.Webhooks {
		if w.Name != m.Webhook {
			continue
		}
		for _, o := range w.Operations {
			if o.Ordering == nil || !strings.EqualFold(o.Method, m.Method) {
				continue
			}
			e, err := expr.Parse(o.Ordering.Entity)
			if err != nil {
				return ""
			}
			v, ok, err := e.Eval(&runtime.Request{Method: m.Method, Raw: m.Body, Body: m.Body})
			if err != nil || !ok {
				return ""
			}
			return v.String()
		}
	}
	return ""
}

// Replay delivers msgs with the vendor's semantics and the chosen
// scenario, and totals the results. It returns an error only when it
// cannot start (bad configuration); delivery failures are in the Summary.
func Replay(ctx context.Context, cfg SendConfig, msgs []Message) (*Summary, error) {
	s := cfg.Spec
	d, err := dialectOf(s, cfg)
	if err != nil {
		return nil, err
	}
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = 1
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Copies <= 0 {
		cfg.Copies = DefaultStormCopies
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if len(cfg.Bases) == 0 {
		return nil, errors.New("send: no base URL")
	}
	senders := make([]*sender.Sender, len(cfg.Bases))
	for i, base := range cfg.Bases {
		opts := []sender.Option{sender.WithHTTPClient(cfg.Client), sender.WithHeader("User-Agent", "hookgen-send/"+s.Name())}
		for k, v := range cfg.Secrets {
			opts = append(opts, sender.WithSecret(k, v))
		}
		if senders[i], err = sender.New(s.Family, base, opts...); err != nil {
			return nil, err
		}
	}
	msgs = slices.Clone(msgs)
	for i := range msgs {
		if cfg.Method != "" {
			msgs[i].Method = strings.ToUpper(cfg.Method)
		}
		w := s.Webhook(msgs[i].Webhook)
		if w == nil {
			return nil, fmt.Errorf("send: %s has no webhook %q", s.Name(), msgs[i].Webhook)
		}
		if !slices.Contains(w.Methods, msgs[i].Method) {
			return nil, fmt.Errorf("send: webhook %s takes %s, not %s", w.Name, strings.Join(w.Methods, ", "), msgs[i].Method)
		}
		if msgs[i].Event == "" {
			msgs[i].Event = s.Validate(payloadOf(s, msgs[i]), []specrun.Operation{{Webhook: msgs[i].Webhook, Method: msgs[i].Method}}, false).Event
		}
	}
	if cfg.Scenario == ScenarioReorder {
		r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
		r.Shuffle(len(msgs), func(i, j int) { msgs[i], msgs[j] = msgs[j], msgs[i] })
	}
	rp := &replay{cfg: cfg, spec: s, d: d, senders: senders, limits: rateLimits(s), lastSent: map[string]time.Time{},
		sum: &Summary{Family: s.Name(), Dialect: d.name}}
	rp.total = len(msgs) * len(senders)
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			return rp.sum, err
		}
		if why := rp.rateLimited(m); why != "" {
			for _, snd := range senders {
				rp.add(Result{Message: m.Name, Event: m.Event, Webhook: m.Webhook, Method: m.Method, URL: rp.url(snd, m), Dropped: why})
			}
			continue
		}
		// A newer message for the same entity later in the queue supersedes
		// this one while it is being retried (StackState).
		superseded := func() bool {
			e := entity(s, m)
			if e == "" || d.untilStatus == 0 {
				return false
			}
			for _, later := range msgs[i+1:] {
				if entity(s, later) == e {
					return true
				}
			}
			return false
		}
		for _, snd := range senders {
			switch cfg.Scenario {
			case ScenarioStorm:
				rp.storm(ctx, snd, m)
			case ScenarioDuplicate:
				first := rp.deliver(ctx, snd, m, 0, superseded)
				rp.add(first)
				second := rp.deliver(ctx, snd, m, 2, func() bool { return false })
				switch {
				case !first.Acked:
				case first.Outcome == string(receiver.OutcomeProcessed) && second.Outcome != string(receiver.OutcomeDuplicate) && second.Problem == "":
					second.Problem = fmt.Sprintf("a repeat of a processed delivery was answered %q, want %q", second.Outcome, receiver.OutcomeDuplicate)
				}
				rp.add(second)
			default:
				rp.add(rp.deliver(ctx, snd, m, 0, superseded))
			}
		}
	}
	return rp.sum, nil
}

type replay struct {
	cfg      SendConfig
	spec     *specrun.Spec
	d        dialect
	senders  []*sender.Sender
	limits   map[specrun.Operation]rateLimit
	lastSent map[string]time.Time
	sum      *Summary
	total    int
	done     int
	mu       sync.Mutex
}

func (rp *replay) url(snd *sender.Sender, m Message) string {
	req, err := snd.Request(context.Background(), m.Webhook, m.Method, m.Body)
	if err != nil {
		return ""
	}
	return req.URL.Redacted()
}

func (rp *replay) add(r Result) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	sum := rp.sum
	switch {
	case r.Dropped != "":
		sum.Dropped++
	default:
		sum.Sent++
		if r.Acked {
			sum.Accepted++
		}
		if r.Outcome == string(receiver.OutcomeDuplicate) {
			sum.Duplicates++
		}
	}
	if !r.OK() {
		sum.Failures++
	}
	sum.Results = append(sum.Results, r)
	if rp.cfg.OnResult != nil {
		rp.cfg.OnResult(r)
	}
	if r.Copy <= 1 {
		rp.done++
		if rp.cfg.OnProgress != nil {
			rp.cfg.OnProgress(min(rp.done, rp.total), rp.total)
		}
	}
}

// rateLimited applies Butler's per-key limit: "" when m may be sent.
func (rp *replay) rateLimited(m Message) string {
	rl, ok := rp.limits[specrun.Operation{Webhook: m.Webhook, Method: m.Method}]
	if !ok {
		return ""
	}
	window := rl.window
	if rp.cfg.RateLimitSet {
		window = rp.cfg.RateLimit
	}
	spec, ok := rl.keys[m.Event]
	if !ok || window <= 0 {
		return ""
	}
	key := m.Event + "\x1f" + rateKey(spec, m.Body)
	now := time.Now()
	if last, ok := rp.lastSent[key]; ok && now.Sub(last) < rp.scale(window) {
		return "rate-limit"
	}
	rp.lastSent[key] = now
	return ""
}

func (rp *replay) scale(d time.Duration) time.Duration {
	return time.Duration(float64(d) * rp.cfg.TimeScale)
}

// deliver sends m to one receiver the way the vendor does.
func (rp *replay) deliver(ctx context.Context, snd *sender.Sender, m Message, copyN int, superseded func() bool) Result {
	r := Result{Message: m.Name, Event: m.Event, Webhook: m.Webhook, Method: m.Method, Copy: copyN}
	for try := 1; ; try++ {
		a := rp.attempt(ctx, snd, m, try, &r)
		r.Attempts = append(r.Attempts, a)
		r.Status, r.Outcome = a.Status, a.Outcome
		r.Acked = a.Error == "" && rp.d.acked(a.Status)
		if r.Acked {
			return r
		}
		var wait time.Duration
		switch {
		case rp.d.untilStatus != 0:
			if try >= rp.cfg.MaxAttempts {
				r.Problem = fmt.Sprintf("no %d after %d attempts (the vendor would keep retrying)", rp.d.untilStatus, try)
				return r
			}
			if superseded() {
				r.Dropped = "superseded"
				return r
			}
			wait = RetryUntilSuccessInterval
		case rp.d.maxRetries > 0 && try <= rp.d.maxRetries:
			wait = rp.d.schedule[min(try-1, len(rp.d.schedule)-1)]
		default:
			if a.Error != "" {
				r.Problem = a.Error
			} else {
				r.Problem = fmt.Sprintf("answered %d (%s)", a.Status, orDash(a.Outcome))
			}
			return r
		}
		t := time.NewTimer(rp.scale(wait))
		select {
		case <-ctx.Done():
			t.Stop()
			r.Problem = ctx.Err().Error()
			return r
		case <-t.C:
		}
	}
}

func (rp *replay) attempt(ctx context.Context, snd *sender.Sender, m Message, try int, r *Result) Attempt {
	a := Attempt{Try: try, StartedAt: time.Now().UTC()}
	var opts []sender.CallOption
	for k, v := range m.Header {
		opts = append(opts, sender.WithCallHeader(k, v))
	}
	req, err := snd.Request(ctx, m.Webhook, m.Method, m.Body, opts...)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	if m.ContentType != "" && req.Header.Get("Content-Type") != "" {
		req.Header.Set("Content-Type", m.ContentType)
	}
	r.URL = req.URL.Redacted()
	res, err := snd.Do(req)
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.Status, a.Outcome, a.Latency = res.Status, res.Header.Get(receiver.OutcomeHeader), res.Latency
	return a
}

// storm sends Copies concurrent copies of m: every copy must be
// acknowledged (or told another copy is in flight), and at most one
// processed.
func (rp *replay) storm(ctx context.Context, snd *sender.Sender, m Message) {
	n := rp.cfg.Copies
	results := make([]Result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = rp.deliver(ctx, snd, m, i+1, func() bool { return false })
		})
	}
	wg.Wait()
	processed := 0
	for i := range results {
		if results[i].Outcome == string(receiver.OutcomeProcessed) {
			processed++
		}
		if results[i].Outcome == string(receiver.OutcomeInFlight) && results[i].Problem != "" {
			// Another copy holds the key: not a lost event.
			results[i].Problem, results[i].Acked = "", true
		}
	}
	if processed > 1 {
		results[n-1].Problem = fmt.Sprintf("%d of %d concurrent copies were processed, want at most 1", processed, n)
	}
	for _, r := range results {
		rp.add(r)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// GenerateKeyPair writes a 2048-bit RSA key pair to dir as private.pem
// (for `send -secret Tier3RsaSha1=@private.pem`) and public.pem (for
// `serve -secret Tier3RsaSha1=@public.pem`), and returns both paths.
func GenerateKeyPair(dir string) (priv, pub string, err error) {
	privPEM, pubPEM, err := auth.GenerateRSAKeyPair(2048)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	priv, pub = filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	if err := os.WriteFile(priv, privPEM, 0o600); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(pub, pubPEM, 0o644); err != nil {
		return "", "", err
	}
	return priv, pub, nil
}

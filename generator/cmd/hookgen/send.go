package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookgen/hookgen/internal/simulate"
	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/openapi"
)

func runSend(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("send", "-spec FILE -url BASE [-url BASE]... [-event NAME | -example NAME | -file PAYLOAD] [-secret SCHEME=VALUE]... [-scenario duplicate|reorder|storm] [-method M] [-time-scale F] [-rate-limit DUR] [-format text|json]\n       hookgen send -gen-key DIR",
		"hookgen send -spec openapi/stackstate.yaml -url http://127.0.0.1:8080 -secret Token=s3cret -scenario duplicate -time-scale 0.01\n"+
			"  hookgen send -gen-key keys && hookgen send -spec openapi/clcbackup.yaml -url http://127.0.0.1:8080 -secret Tier3RsaSha1=@keys/private.pem", stderr)
	spec := fs.String("spec", "", "OpenAPI document of the sender, or a hookgen.yaml naming one (required)")
	var urls, secretArgs multiFlag
	fs.Var(&urls, "url", "receiver base URL; each webhook's default path is appended (repeatable: sent to each in turn, as Butler does)")
	event := fs.String("event", "", "send the first valid vector of this event")
	example := fs.String("example", "", "send the vector of this name (negative ones too)")
	file := fs.String("file", "", "send this payload file (JSON, or a .query string; - for stdin)")
	webhook := fs.String("webhook", "", "with -file: send to this webhook (for webhooks that share a payload, e.g. clcbackup backup-success)")
	fs.Var(&secretArgs, "secret", "SCHEME=VALUE or SCHEME=@FILE: token, user:password, or PEM private key (RSA signatures)")
	scenario := fs.String("scenario", "", "duplicate (each delivery twice), reorder (shuffled sequence) or storm (-n concurrent copies)")
	method := fs.String("method", "", "send with this method instead of the vector's (Butler: GET, POST, PUT)")
	timeScale := fs.Float64("time-scale", 1, "multiply sender-side delays (retry intervals, rate-limit window) by this factor")
	rateLimit := fs.Duration("rate-limit", 0, "sender-side rate limit window per key (Butler; default from the spec, 300s; 0 disables)")
	retries := fs.String("retries", "", "retry failures on this schedule, e.g. 10s,30s,120s (NetPulse >= 0.4.2)")
	maxRetries := fs.Int("max-retries", 0, "with -retries: at most this many retries (default 3)")
	maxAttempts := fs.Int("max-attempts", simulate.DefaultMaxAttempts, "give up a retry-until-success delivery after this many attempts")
	copies := fs.Int("n", simulate.DefaultStormCopies, "concurrent copies per delivery in the storm scenario")
	seed := fs.Uint64("seed", 1, "seed of the reorder shuffle")
	format := fs.String("format", "text", "output format: text or json (one object per delivery, then a summary)")
	genKey := fs.String("gen-key", "", "write an RSA key pair (private.pem, public.pem) to DIR for Tier3-RsaSha1 and exit")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *genKey != "" {
		priv, pub, err := simulate.GenerateKeyPair(*genKey)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s (send -secret Tier3RsaSha1=@%s)\nwrote %s (serve -secret Tier3RsaSha1=@%s)\n", priv, priv, pub, pub)
		return nil
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	n := 0
	for _, s := range []string{*event, *example, *file} {
		if s != "" {
			n++
		}
	}
	switch {
	case *spec == "":
		return usagef("-spec is required")
	case len(urls) == 0:
		return usagef("-url is required")
	case n > 1:
		return usagef("-event, -example and -file are exclusive")
	case *webhook != "" && *file == "":
		return usagef("-webhook needs -file")
	case *format != "text" && *format != "json":
		return usagef("-format %q: want text or json", *format)
	case *scenario != "" && !slices.Contains([]string{simulate.ScenarioDuplicate, simulate.ScenarioReorder, simulate.ScenarioStorm}, *scenario):
		return usagef("-scenario %q: want duplicate, reorder or storm", *scenario)
	case *timeScale <= 0:
		return usagef("-time-scale must be positive")
	case *copies < 1:
		return usagef("-n must be at least 1")
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return usagef("-url %q: want http://HOST:PORT or https://…", u)
		}
	}
	var schedule []time.Duration
	if *retries != "" {
		for _, part := range strings.Split(*retries, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || d < 0 {
				return usagef("-retries %q: want durations like 10s,30s,120s", *retries)
			}
			schedule = append(schedule, d)
		}
	}
	secrets := map[string]string{}
	for _, s := range secretArgs {
		a, err := parseSecret(s)
		if err != nil {
			return err
		}
		if a.family != "" {
			return usagef("-secret %s.%s: send takes SCHEME=VALUE", a.family, a.scheme)
		}
		secrets[a.scheme] = a.value
	}
	sp, err := specrun.Load(ctx, *spec)
	if err != nil {
		return err
	}
	for name := range secrets {
		if !slices.Contains(usedSchemes(sp), name) {
			return usagef("-secret %s: %s has no security scheme %q (%s)", name, sp.Name(), name, schemeList([]*specrun.Spec{sp}))
		}
	}
	if *webhook != "" && !slices.Contains(sp.WebhookNames(), *webhook) {
		return usagef("-webhook %q: %s has no such webhook", *webhook, sp.Name())
	}
	msgs, err := selectMessages(sp, *event, *example, *file, *webhook, stdin)
	if err != nil {
		return err
	}
	if *method != "" {
		m := strings.ToUpper(*method)
		for _, msg := range msgs {
			if !slices.Contains(webhookMethods(sp, msg.Webhook), m) {
				return usagef("-method %s: webhook %s takes %s", m, msg.Webhook, strings.Join(webhookMethods(sp, msg.Webhook), ", "))
			}
		}
	}
	progress := newProgress(stderr)
	enc := json.NewEncoder(stdout)
	cfg := simulate.SendConfig{
		Spec: sp, Bases: urls, Secrets: secrets, Scenario: *scenario, Method: *method, TimeScale: *timeScale,
		RateLimit: *rateLimit, RateLimitSet: given["rate-limit"], Retries: schedule, MaxRetries: *maxRetries,
		MaxAttempts: *maxAttempts, Copies: *copies, Seed: *seed, OnProgress: progress.update,
		OnResult: func(r simulate.Result) {
			progress.clear()
			if *format == "json" {
				_ = enc.Encode(r)
				return
			}
			printResult(stdout, r)
		},
	}
	sum, err := simulate.Replay(ctx, cfg, msgs)
	progress.finish()
	if err != nil {
		return err
	}
	if *format == "json" {
		_ = enc.Encode(struct {
			Summary *simulate.Summary `json:"summary"`
			OK      bool              `json:"ok"`
		}{sum, sum.OK()})
	} else {
		fmt.Fprintf(stdout, "summary family=%s dialect=%s sent=%d accepted=%d duplicates=%d dropped=%d failures=%d\n",
			sum.Family, sum.Dialect, sum.Sent, sum.Accepted, sum.Duplicates, sum.Dropped, sum.Failures)
	}
	if !sum.OK() {
		return errSilent
	}
	return nil
}

func webhookMethods(sp *specrun.Spec, webhook string) []string {
	var out []string
	for _, op := range sp.Operations() {
		if op.Webhook == webhook {
			out = append(out, op.Method)
		}
	}
	return out
}

// selectMessages picks what to send: one vector, one file, or every valid
// vector of the family.
func selectMessages(sp *specrun.Spec, event, example, file, webhook string, stdin io.Reader) ([]simulate.Message, error) {
	if file != "" {
		used := false
		p, err := readPayload(file, stdin, &used)
		if err != nil {
			return nil, err
		}
		m, err := simulate.MessageFor(sp, p, webhook)
		if err != nil {
			return nil, err
		}
		return []simulate.Message{m}, nil
	}
	vs, err := sp.Vectors()
	if err != nil {
		return nil, err
	}
	var pick []openapi.Vector
	switch {
	case example != "":
		for _, v := range vs {
			if v.Name == example {
				pick = append(pick, v)
			}
		}
		if len(pick) == 0 {
			return nil, usagef("-example %q: %s has no such vector (%s)", example, sp.Name(), vectorNames(vs))
		}
	case event != "":
		for _, v := range vs {
			if v.Event == event && v.Verdict == openapi.VerdictValid {
				pick = append(pick, v)
				break
			}
		}
		if len(pick) == 0 {
			return nil, usagef("-event %q: %s has no valid vector of that event", event, sp.Name())
		}
	default:
		for _, v := range vs {
			if v.Verdict == openapi.VerdictValid {
				pick = append(pick, v)
			}
		}
	}
	return simulate.Messages(sp, pick)
}

func vectorNames(vs []openapi.Vector) string {
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	return strings.Join(names, ", ")
}

// printResult prints one delivery: a line per attempt when it took more
// than one, then the verdict line.
func printResult(w io.Writer, r simulate.Result) {
	verdict := "ok"
	switch {
	case r.Dropped != "":
		verdict = "dropped"
	case !r.OK():
		verdict = "FAIL"
	}
	cp := ""
	if r.Copy > 0 {
		cp = fmt.Sprintf("#%d", r.Copy)
	}
	if r.Dropped != "" {
		fmt.Fprintf(w, "%-7s %s%s %s %s (sender-side %s)\n", verdict, r.Message, cp, r.Method, r.URL, r.Dropped)
		return
	}
	if len(r.Attempts) > 1 {
		for _, a := range r.Attempts {
			fmt.Fprintf(w, "  try %d %s%s: %s\n", a.Try, r.Message, cp, attemptText(a))
		}
	}
	var lat time.Duration
	for _, a := range r.Attempts {
		lat += a.Latency
	}
	line := fmt.Sprintf("%-7s %s%s %s %s status=%d outcome=%s attempts=%d retries=%d latency=%s",
		verdict, r.Message, cp, r.Method, r.URL, r.Status, dash(r.Outcome), len(r.Attempts), max(len(r.Attempts)-1, 0), lat.Round(10*time.Microsecond))
	if r.Problem != "" {
		line += ": " + r.Problem
	}
	fmt.Fprintln(w, line)
}

func attemptText(a simulate.Attempt) string {
	if a.Error != "" {
		return "error " + a.Error
	}
	return fmt.Sprintf("%d %s %s", a.Status, dash(a.Outcome), a.Latency.Round(10*time.Microsecond))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// progress draws a bar on stderr when it is a terminal, and plain counts
// (every 10 %) for long runs otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	drawn    bool
	lastTick int
}

func newProgress(stderr io.Writer) *progress {
	p := &progress{w: stderr}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(done, total int) {
	if total == 0 {
		return
	}
	if p.tty {
		const width = 30
		fill := done * width / total
		fmt.Fprintf(p.w, "\r[%s%s] %d/%d", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), done, total)
		p.drawn = true
		return
	}
	if total < 20 {
		return
	}
	if tick := done * 10 / total; tick > p.lastTick {
		p.lastTick = tick
		fmt.Fprintf(p.w, "hookgen send: %d/%d deliveries\n", done, total)
	}
}

// clear erases the bar before a result line is printed.
func (p *progress) clear() {
	if p.tty && p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *progress) finish() {
	p.clear()
}

package harness

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianDuration(v []time.Duration) time.Duration {
	f := make([]float64, len(v))
	for i, d := range v {
		f[i] = float64(d)
	}
	return time.Duration(median(f))
}

func (r *Result) find(name string) *ReceiverResult {
	for _, rr := range r.Results {
		if rr.Name == name {
			return rr
		}
	}
	return nil
}

func (r *Result) skipReason(name string) string {
	for _, s := range r.Failed {
		if n, why, _ := strings.Cut(s, ": "); n == name {
			return "failed its smoke check: " + why
		}
	}
	for _, s := range r.Skipped {
		if n, why, _ := strings.Cut(s, ": "); n == name {
			return why
		}
	}
	if len(r.Config.Only) > 0 && !slices.Contains(r.Config.Only, name) {
		return "not selected"
	}
	return "not measured"
}

// RPS returns the median req/s of receiver name at conns connections.
func (r *Result) RPS(name string, conns int) (float64, bool) {
	rr := r.find(name)
	if rr == nil || len(rr.Closed[conns]) == 0 {
		return 0, false
	}
	v := make([]float64, 0, len(rr.Closed[conns]))
	for _, s := range rr.Closed[conns] {
		v = append(v, s.RPS())
	}
	return median(v), true
}

// Ratio returns the median over rounds of a's req/s divided by b's in the
// same round (pair by pair) at conns connections.
func (r *Result) Ratio(a, b string, conns int) (float64, bool) {
	ra, rb := r.find(a), r.find(b)
	if ra == nil || rb == nil {
		return 0, false
	}
	sa, sb := ra.Closed[conns], rb.Closed[conns]
	n := min(len(sa), len(sb))
	if n == 0 {
		return 0, false
	}
	v := make([]float64, 0, n)
	for i := range n {
		if sb[i].RPS() > 0 {
			v = append(v, sa[i].RPS()/sb[i].RPS())
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	return median(v), true
}

// P99 returns the median closed-loop p99 of receiver name at conns.
func (r *Result) P99(name string, conns int) (time.Duration, bool) {
	rr := r.find(name)
	if rr == nil || len(rr.Closed[conns]) == 0 {
		return 0, false
	}
	v := make([]time.Duration, 0, len(rr.Closed[conns]))
	for _, s := range rr.Closed[conns] {
		v = append(v, s.P99)
	}
	return medianDuration(v), true
}

// OpenP99 returns the median open-loop p99 of receiver name.
func (r *Result) OpenP99(name string) (time.Duration, bool) {
	rr := r.find(name)
	if rr == nil || len(rr.Open) == 0 {
		return 0, false
	}
	v := make([]time.Duration, 0, len(rr.Open))
	for _, o := range rr.Open {
		v = append(v, o.P99)
	}
	return medianDuration(v), true
}

// MicroNamed returns the micro-benchmark named name.
func (r *Result) MicroNamed(name string) (Micro, bool) {
	for _, m := range r.Micro {
		if m.Name == name {
			return m, true
		}
	}
	return Micro{}, false
}

func ms(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	}
}

func kreq(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.1fk", v/1000)
	}
	return fmt.Sprintf("%.0f", v)
}

func ratio(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

// printer writes formatted text, ignoring write errors (the report goes
// to a buffer or a terminal).
type printer func(format string, args ...any)

// Markdown writes the report: machine and settings, the closed-loop table
// for each connection count, the open-loop table, the micro-benchmarks and
// the targets.
func (r *Result) Markdown(w io.Writer) {
	p := printer(func(format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) })
	r.header(p)
	for _, conns := range r.Config.Conns {
		r.closedTable(p, conns)
	}
	if r.Config.OpenRate > 0 {
		r.openTable(p)
	}
	if len(r.Micro) > 0 {
		r.microTable(p)
	}
	p("\n#### Targets\n\n| target | measured | verdict |\n|---|---|---|\n")
	for _, t := range r.Targets() {
		p("| %s | %s | %s |\n", t.What, t.Measured, t.Verdict)
	}
}

func (r *Result) header(p printer) {
	c, e := r.Config, r.Env
	p("Measured %s with `%s` on commit %s.\n\n", e.Date, c.Command, e.Commit)
	p("- machine: %d × %s, %s, %s; %s\n", e.NProc, e.CPU, e.Kernel, e.GoVersion, e.Wrk)
	p("- load average (1, 5, 15 min): %s at the start, %s at the end; the run took %s\n",
		e.LoadStart, r.LoadEnd, r.Elapsed.Round(time.Second))
	p("- closed loop: wrk, %d threads, %v per run after a %v warm-up, connections %v, %d alternating rounds (the order rotates every round), medians of the rounds\n",
		c.Threads, c.Duration, c.Warmup, c.Conns, c.Rounds)
	if c.OpenRate > 0 {
		p("- open loop: vegeta (Go library) at %d req/s for %v per receiver per round\n", c.OpenRate, c.OpenDuration)
	}
	p("- payload: the StackState open notification (1,954 B), a new notificationId on every request\n")
	for _, s := range r.Skipped {
		p("- skipped: %s\n", s)
	}
	for _, s := range r.Failed {
		p("- **failed its smoke check, not measured**: %s\n", s)
	}
}

func (r *Result) closedTable(p printer, conns int) {
	p("\n#### Peak throughput, closed loop (wrk), %d connections\n\n", conns)
	p("| receiver | req/s | × bare | × kin | × ogen | p50 | p99 | server CPU µs/req | peak RSS | errors |\n")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, rr := range r.Results {
		ss := rr.Closed[conns]
		if len(ss) == 0 {
			continue
		}
		rps, _ := r.RPS(rr.Name, conns)
		var p50s, p99s, cpus []time.Duration
		var errs int64
		for _, s := range ss {
			p50s = append(p50s, s.P50)
			p99s = append(p99s, s.P99)
			cpus = append(cpus, s.CPUPerRequest())
			errs += s.Errors
		}
		vb, okb := r.Ratio(rr.Name, "bare", conns)
		vk, okk := r.Ratio(rr.Name, "kin", conns)
		vo, oko := r.Ratio(rr.Name, "ogen", conns)
		p("| %s | %s | %s | %s | %s | %s | %s | %.1f | %.0f MB | %d |\n", rr.Label, kreq(rps),
			ratio(vb, okb), ratio(vk, okk), ratio(vo, oko), ms(medianDuration(p50s)), ms(medianDuration(p99s)),
			float64(medianDuration(cpus))/1e3, float64(rr.PeakRSS)/(1<<20), errs)
	}
	for _, rr := range r.Results {
		if rr.PostgresURL != "" && len(rr.Closed[conns]) > 0 {
			p("\n%s: %.1f acknowledgements per PostgreSQL WAL fsync (median of the rounds; the CPU column is the sum of the replicas, without PostgreSQL's own).\n",
				rr.Name, r.acksPerFsync(rr.Name, conns))
		}
	}
}

func (r *Result) openTable(p printer) {
	p("\n#### Latency at a fixed rate, open loop (vegeta), %d req/s\n\n", r.Config.OpenRate)
	p("| receiver | rate sent | p50 | p99 | max | success |\n|---|---:|---:|---:|---:|---:|\n")
	for _, rr := range r.Results {
		if len(rr.Open) == 0 {
			continue
		}
		var p50, p99, mx []time.Duration
		var succ, rate []float64
		for _, o := range rr.Open {
			p50, p99, mx = append(p50, o.P50), append(p99, o.P99), append(mx, o.Max)
			succ, rate = append(succ, o.Success), append(rate, o.Rate)
		}
		p("| %s | %.0f/s | %s | %s | %s | %.2f%% |\n", rr.Label, median(rate), ms(medianDuration(p50)),
			ms(medianDuration(p99)), ms(medianDuration(mx)), 100*median(succ))
	}
}

func (r *Result) microTable(p printer) {
	p("\n#### Micro-benchmarks (`go test -bench -benchmem`, medians)\n\n")
	for _, f := range r.MicroFailed {
		p("- **failed**: %s\n", f)
	}
	if len(r.MicroFailed) > 0 {
		p("\n")
	}
	p("| benchmark | ns/op | B/op | allocs/op | ns/payload | allocs/payload | other |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, m := range r.Micro {
		cell := func(unit string) string {
			v, ok := m.Median(unit)
			if !ok {
				return ""
			}
			return fmt.Sprintf("%.0f", v)
		}
		var other []string
		for unit := range m.Metrics {
			switch unit {
			case "ns/op", "B/op", "allocs/op", "ns/payload", "allocs/payload":
			default:
				v, _ := m.Median(unit)
				other = append(other, fmt.Sprintf("%.1f %s", v, unit))
			}
		}
		slices.Sort(other)
		p("| %s | %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(m.Name, "Benchmark"), cell("ns/op"),
			cell("B/op"), cell("allocs/op"), cell("ns/payload"), cell("allocs/payload"), strings.Join(other, ", "))
	}
}

// Target is one row of the targets table.
type Target struct {
	What, Measured, Verdict string
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

// Targets evaluates the targets on the run's figures. A target whose
// figure was not measured says why.
func (r *Result) Targets() []Target {
	var ts []Target
	notMeasured := func(what, name string) {
		ts = append(ts, Target{what, "–", "not measured: " + r.skipReason(name)})
	}
	ratioTarget := func(what, a, b string, min float64) {
		for _, conns := range r.Config.Conns {
			w := fmt.Sprintf("%s, %d conns", what, conns)
			v, ok := r.Ratio(a, b, conns)
			if !ok {
				if r.find(a) == nil {
					notMeasured(w, a)
				} else {
					notMeasured(w, b)
				}
				continue
			}
			ts = append(ts, Target{w, fmt.Sprintf("%.2f×", v), verdict(v >= min)})
		}
	}
	ratioTarget("hookgen memory ≥ 0.60× bare", "hookgen-memory", "bare", 0.60)
	ratioTarget("hookgen memory ≥ 1.2× ogen", "hookgen-memory", "ogen", 1.2)
	ratioTarget("hookgen memory ≥ 2.8× kin", "hookgen-memory", "kin", 2.8)
	for _, conns := range r.Config.Conns {
		w := fmt.Sprintf("hookgen memory p99 ≤ ogen p99 (wrk), %d conns", conns)
		a, oka := r.P99("hookgen-memory", conns)
		b, okb := r.P99("ogen", conns)
		if !oka || !okb {
			notMeasured(w, map[bool]string{true: "ogen", false: "hookgen-memory"}[oka])
			continue
		}
		ts = append(ts, Target{w, ms(a) + " vs " + ms(b), verdict(a <= b)})
	}
	if r.Config.OpenRate > 0 {
		w := fmt.Sprintf("hookgen memory p99 ≤ ogen p99 (vegeta, %d req/s)", r.Config.OpenRate)
		a, oka := r.OpenP99("hookgen-memory")
		b, okb := r.OpenP99("ogen")
		if oka && okb {
			ts = append(ts, Target{w, ms(a) + " vs " + ms(b), verdict(a <= b)})
		} else {
			notMeasured(w, map[bool]string{true: "ogen", false: "hookgen-memory"}[oka])
		}
	}
	// The durable target is measured on the durable mode when the tree has
	// it, else on the synchronous bolt receiver (its claim is persisted
	// before the ack too).
	durable := "hookgen-durable"
	if r.find(durable) == nil {
		durable = "hookgen-bolt"
	}
	ratioTarget(durable+" ≥ 0.30× bare", durable, "bare", 0.30)
	ratioTarget(durable+" ≥ 5× fsync per request", durable, "fsync", 5)
	ratioTarget("hookgen Redis ≥ 0.30× bare", "hookgen-redis", "bare", 0.30)
	if len(r.Config.Conns) < 2 && r.find("hookgen-postgres") != nil {
		ts = append(ts, Target{"PostgreSQL inbox: req/s, scales with connections", "–",
			"not measured: needs two connection counts (-conns)"})
	} else if r.find("hookgen-postgres") != nil {
		lo, hi := slices.Min(r.Config.Conns), slices.Max(r.Config.Conns)
		a, _ := r.RPS("hookgen-postgres", lo)
		b, _ := r.RPS("hookgen-postgres", hi)
		ts = append(ts, Target{fmt.Sprintf("PostgreSQL inbox (3 replicas) scales from %d to %d conns", lo, hi),
			fmt.Sprintf("%s → %s req/s; %.1f → %.1f acks per WAL fsync", kreq(a), kreq(b),
				r.acksPerFsync("hookgen-postgres", lo), r.acksPerFsync("hookgen-postgres", hi)), verdict(b > a)})
	} else {
		notMeasured("PostgreSQL inbox: req/s, scales with connections", "hookgen-postgres")
	}
	gen, okg := r.microMetric("BenchmarkDecode/stackstate-open/generated", "ns/payload")
	js, okj := r.microMetric("BenchmarkDecode/stackstate-open/encoding-json", "ns/payload")
	kin, okk := r.microMetric("BenchmarkDecode/stackstate-open/kin-openapi", "ns/payload")
	al, oka := r.microMetric("BenchmarkDecode/stackstate-open/generated", "allocs/payload")
	microRow := func(what string, ok bool, measured string, met bool) {
		if !ok {
			ts = append(ts, Target{what, "–", "not measured: micro-benchmarks not run"})
			return
		}
		ts = append(ts, Target{what, measured, verdict(met)})
	}
	microRow("validate+decode ≤ encoding/json decode (open payload)", okg && okj,
		fmt.Sprintf("%.1f µs vs %.1f µs", gen/1e3, js/1e3), gen <= js)
	microRow("validate+decode ≥ 5× faster than openapi3filter", okg && okk, fmt.Sprintf("%.1f×", kin/gen), kin >= 5*gen)
	microRow("validate+decode ≤ 20 allocs", oka, fmt.Sprintf("%.0f allocs", al), al <= 20)
	mb, okm := r.microMetric("BenchmarkMemoryStoreMillionKeys", "MB/1M-keys")
	if !okm && len(r.Micro) > 0 {
		ts = append(ts, Target{"1M keys in the memory store ≤ 200 MB", "–", "not measured: the million-key benchmark is not part of this run"})
	} else {
		microRow("1M keys in the memory store ≤ 200 MB", okm, fmt.Sprintf("%.0f MB", mb), mb <= 200)
	}
	if rr := r.find("hookgen-memory"); rr != nil && rr.PeakRSS > 0 {
		ts = append(ts, Target{"hookgen memory receiver RSS under load ≤ 100 MB",
			fmt.Sprintf("%.0f MB (VmHWM)", float64(rr.PeakRSS)/(1<<20)), verdict(rr.PeakRSS <= 100<<20)})
	} else {
		notMeasured("hookgen memory receiver RSS under load ≤ 100 MB", "hookgen-memory")
	}
	if r.Generate > 0 {
		ts = append(ts, Target{"generator: all five families ≤ 2 s", r.Generate.Round(time.Millisecond).String(),
			verdict(r.Generate <= 2*time.Second)})
	}
	return ts
}

// acksPerFsync is the median over rounds of requests per WAL fsync.
func (r *Result) acksPerFsync(name string, conns int) float64 {
	rr := r.find(name)
	if rr == nil {
		return 0
	}
	var v []float64
	for _, s := range rr.Closed[conns] {
		v = append(v, s.AcksPerFsync())
	}
	return median(v)
}

func (r *Result) microMetric(name, unit string) (float64, bool) {
	m, ok := r.MicroNamed(name)
	if !ok {
		return 0, false
	}
	return m.Median(unit)
}

// Markers delimit the generated part of BENCHMARKS.md.
const (
	BeginMarker = "<!-- bench:results:begin -->"
	EndMarker   = "<!-- bench:results:end -->"
)

// ErrNoMarkers is returned by Splice for a file without both markers.
var ErrNoMarkers = errors.New("harness: results markers not found")

// Splice replaces what lies between BeginMarker and EndMarker in the file
// at path with report.
func Splice(path string, report []byte) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(raw)
	i, j := strings.Index(s, BeginMarker), strings.Index(s, EndMarker)
	if i < 0 || j < i {
		return fmt.Errorf("%w in %s", ErrNoMarkers, path)
	}
	out := s[:i+len(BeginMarker)] + "\n" + string(report) + "\n" + s[j:]
	return os.WriteFile(path, []byte(out), 0o644)
}

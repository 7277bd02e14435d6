package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/bench/harness"
	"github.com/hookgen/hookgen/internal/bench/payload"
	"github.com/hookgen/hookgen/internal/bench/serve"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// recorder is a receiver that checks the token and the JSON and collects
// the notificationIds it was sent.
type recorder struct {
	mu  sync.Mutex
	ids map[string]int
	bad int
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var doc struct {
		NotificationID string `json:"notificationId"`
	}
	err := json.NewDecoder(r.Body).Decode(&doc)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if r.URL.Path != serve.Path || !serve.TokenOK(r) || err != nil || !uuidRe.MatchString(doc.NotificationID) {
		rc.bad++
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.ids[doc.NotificationID]++
	w.WriteHeader(http.StatusOK)
}

func (rc *recorder) duplicates() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	n := 0
	for _, c := range rc.ids {
		n += c - 1
	}
	return n
}

func startRecorder(t *testing.T) (*recorder, int) {
	t.Helper()
	rc := &recorder{ids: map[string]int{}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv.Listener.Addr().(*net.TCPAddr).Port
}

func TestWrkScriptSendsAUniqueValidIDOnEveryRequestOfEveryRun(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (apt-get install -y wrk)")
	}
	rc, port := startRecorder(t)
	dir := t.TempDir()
	var total int64
	for run := uint16(1); run <= 2; run++ {
		script, err := harness.WriteWrkScript(dir, payload.Open(), run)
		require.NoError(t, err)
		res, err := harness.Wrk(context.Background(), script, port, 4, 2, time.Second)
		require.NoError(t, err)
		require.Positive(t, res.Requests)
		require.Zero(t, res.Errors)
		require.Positive(t, res.RPS())
		total += res.Requests
	}
	require.Zero(t, rc.bad)
	require.Zero(t, rc.duplicates())
	// wrk counts only the answers it read before stopping; the server may
	// have seen a few more.
	require.GreaterOrEqual(t, int64(len(rc.ids)), total)
}

func TestDriveClosedSplitsTheConnectionsAndSumsTheReplicas(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed (apt-get install -y wrk)")
	}
	var recs []*recorder
	var ports []int
	for range 3 {
		rc, port := startRecorder(t)
		recs, ports = append(recs, rc), append(ports, port)
	}
	dir := t.TempDir()
	run := uint16(0)
	script := func() (string, error) {
		run++
		return harness.WriteWrkScript(dir, payload.Open(), run)
	}
	res, err := harness.DriveClosed(context.Background(), ports, 6, 1, time.Second, script)
	require.NoError(t, err)
	require.Zero(t, res.Errors)
	seen := map[string]bool{}
	total := 0
	for _, rc := range recs {
		require.Positive(t, len(rc.ids), "every replica is driven")
		require.Zero(t, rc.bad)
		for id := range rc.ids {
			require.False(t, seen[id], "id %s sent to two replicas", id)
			seen[id] = true
		}
		total += len(rc.ids)
	}
	require.GreaterOrEqual(t, int64(total), res.Requests)
	require.Greater(t, res.Requests, int64(len(recs[0].ids)), "the requests of all replicas are summed")
}

func TestOpenLoopSendsAtTheRateWithUniqueIDs(t *testing.T) {
	rc, port := startRecorder(t)
	o, err := harness.OpenLoop(context.Background(), port, 200, time.Second, payload.NewGenerator(payload.Open(), 9))
	require.NoError(t, err)
	// vegeta drops the hits it could not send before the deadline, so on a
	// loaded machine fewer than rate x duration go out: the report shows
	// the rate actually sent.
	require.Positive(t, o.Requests)
	require.LessOrEqual(t, o.Requests, uint64(200))
	require.Equal(t, 1.0, o.Success)
	require.Positive(t, o.Rate)
	require.Positive(t, o.P99)
	require.Zero(t, rc.bad)
	require.Zero(t, rc.duplicates())
	require.Len(t, rc.ids, int(o.Requests))
}

func TestCheckCatchesAReceiverThatAcceptsAWrongToken(t *testing.T) {
	lax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer lax.Close()
	port := lax.Listener.Addr().(*net.TCPAddr).Port
	r := harness.Receiver{Name: "lax", Token: true}
	require.ErrorContains(t, harness.Check(context.Background(), r, port), "wrong token")
	r = harness.Receiver{Name: "lax", Syntax: true}
	require.ErrorContains(t, harness.Check(context.Background(), r, port), "truncated JSON")
	require.NoError(t, harness.Check(context.Background(), harness.Receiver{Name: "lax"}, port))

	_, strict := startRecorder(t)
	require.NoError(t, harness.Check(context.Background(), harness.Receiver{Name: "rec", Token: true, Syntax: true}, strict))
}

func TestStartReadsThePortAndStopEndsThatProcess(t *testing.T) {
	dir := t.TempDir()
	p, err := harness.Start("sleeper", "/bin/sh", []string{"-c", "echo listening on http://127.0.0.1:4321; exec sleep 30"}, dir, true)
	require.NoError(t, err)
	require.Equal(t, 4321, p.Port)
	require.True(t, p.Alive())
	ticks, err := harness.CPUTicks(p.PID())
	require.NoError(t, err)
	require.GreaterOrEqual(t, ticks, int64(0))
	p.Stop()
	require.False(t, p.Alive())
	p.Stop() // twice is fine

	_, err = harness.Start("absent", "/bin/sh", []string{"-c", "echo no such mode >&2; exit 3"}, dir, true)
	require.ErrorIs(t, err, harness.ErrSkipped)
	require.ErrorContains(t, err, "no such mode")
	_, err = harness.Start("broken", "/bin/sh", []string{"-c", "exit 1"}, dir, true)
	require.Error(t, err)
	require.NotErrorIs(t, err, harness.ErrSkipped)
}

func TestStartWithAPortFile(t *testing.T) {
	dir := t.TempDir()
	// The harness appends "-portfile PATH"; the script writes to it ($2).
	p, err := harness.Start("pf", "/bin/sh", []string{"-c", `echo 5555 > "$2"; exec sleep 30`, "sh"}, dir, false)
	require.NoError(t, err)
	defer p.Stop()
	require.Equal(t, 5555, p.Port)
}

func TestCPUTicksGrowWithWorkAndPeakRSSIsReported(t *testing.T) {
	pid := os.Getpid()
	t0, err := harness.CPUTicks(pid)
	require.NoError(t, err)
	deadline := time.Now().Add(150 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	t1, err := harness.CPUTicks(pid)
	require.NoError(t, err)
	require.Greater(t, t1, t0, "spun %d times", x)
	rss, err := harness.PeakRSS(pid)
	require.NoError(t, err)
	require.Greater(t, rss, int64(1<<20))
	if out, err := exec.Command("getconf", "CLK_TCK").Output(); err == nil {
		require.Equal(t, "100", strings.TrimSpace(string(out)), "harness.ClockTicks assumes USER_HZ 100")
	}
}

func TestParseBenchMergesRepetitionsAndDropsTheProcsSuffix(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkDecode/stackstate-open/generated-2   	   9000	    130000 ns/op	  201.0 allocs/payload	  130000 ns/payload	 8752 B/op	     198 allocs/op
BenchmarkDecode/stackstate-open/generated-2   	   9000	    110000 ns/op	  201.0 allocs/payload	  110000 ns/payload	 8752 B/op	     198 allocs/op
BenchmarkDecode/stackstate-open/generated-2   	   9000	    120000 ns/op	  201.0 allocs/payload	  120000 ns/payload	 8752 B/op	     198 allocs/op
BenchmarkClaim/memory-2 	  1000	   900 ns/op	     720 B/op	       8 allocs/op
--- SKIP: BenchmarkClaim/redis
PASS
`)
	ms := harness.ParseBench(out)
	require.Len(t, ms, 2)
	require.Equal(t, "BenchmarkDecode/stackstate-open/generated", ms[0].Name)
	v, ok := ms[0].Median("ns/op")
	require.True(t, ok)
	require.Equal(t, 120000.0, v)
	_, ok = ms[1].Median("ns/payload")
	require.False(t, ok)
}

func TestFailedBenchmarksNamesEachFailureWithItsMessage(t *testing.T) {
	out := []byte(`BenchmarkClaim/memory-2 	  1000	   900 ns/op
--- FAIL: BenchmarkPipeline/postgres
    bench_micro_test.go:240: status 503: {"title":"Store unavailable"}
--- FAIL: BenchmarkPipeline
FAIL
`)
	require.Equal(t, []string{
		`BenchmarkPipeline/postgres: bench_micro_test.go:240: status 503: {"title":"Store unavailable"}`,
		"BenchmarkPipeline",
	}, harness.FailedBenchmarks(out))
	require.Empty(t, harness.FailedBenchmarks([]byte("PASS\nok\n")))
}

func sample(rps float64, p99 time.Duration) harness.Sample {
	return harness.Sample{Closed: harness.Closed{Requests: int64(rps * 10), Duration: 10 * time.Second, P99: p99}}
}

func result(conns int, rps map[string][]float64) *harness.Result {
	r := &harness.Result{Config: harness.Config{Conns: []int{conns}}}
	for _, name := range []string{"bare", "kin", "ogen", "hookgen-memory", "hookgen-bolt", "fsync"} {
		v, ok := rps[name]
		if !ok {
			continue
		}
		rr := &harness.ReceiverResult{Receiver: harness.Receiver{Name: name, Label: name}, Closed: map[int][]harness.Sample{}}
		for _, x := range v {
			rr.Closed[conns] = append(rr.Closed[conns], sample(x, time.Millisecond))
		}
		r.Results = append(r.Results, rr)
	}
	return r
}

func TestRatioIsTheMedianOfRoundByRoundRatios(t *testing.T) {
	// Round by round: 0.5, 0.25, 0.8 -> median 0.5; the ratio of the
	// medians (400/1000) would be 0.4.
	r := result(64, map[string][]float64{
		"bare":           {1000, 1600, 500},
		"hookgen-memory": {500, 400, 400},
	})
	v, ok := r.Ratio("hookgen-memory", "bare", 64)
	require.True(t, ok)
	require.InDelta(t, 0.5, v, 1e-9)
	m, ok := r.RPS("hookgen-memory", 64)
	require.True(t, ok)
	require.InDelta(t, 400, m, 1e-9)
	_, ok = r.Ratio("hookgen-memory", "ogen", 64)
	require.False(t, ok)
}

func TestTargetsSayMetMissedOrWhyNotMeasured(t *testing.T) {
	r := result(64, map[string][]float64{
		"bare":           {1000, 1000, 1000},
		"kin":            {100, 100, 100},
		"ogen":           {500, 500, 500},
		"hookgen-memory": {700, 700, 700},
		"hookgen-bolt":   {200, 200, 200},
		"fsync":          {40, 40, 40},
	})
	r.Skipped = []string{"hookgen-redis: mode not available"}
	r.Failed = []string{"hookgen-postgres: smoke check hookgen-postgres, open payload: got 503, want 200"}
	r.Config.OpenRate = 500
	for _, rr := range r.Results {
		switch rr.Name {
		case "hookgen-memory":
			rr.Open = []harness.Open{{P99: 2 * time.Millisecond}, {P99: 3 * time.Millisecond}, {P99: 9 * time.Millisecond}}
		case "ogen":
			rr.Open = []harness.Open{{P99: 4 * time.Millisecond}}
		}
	}
	got := map[string]harness.Target{}
	for _, tg := range r.Targets() {
		got[tg.What] = tg
	}
	require.Equal(t, "met", got["hookgen memory ≥ 0.60× bare, 64 conns"].Verdict)
	require.Equal(t, "0.70×", got["hookgen memory ≥ 0.60× bare, 64 conns"].Measured)
	require.Equal(t, "met", got["hookgen memory ≥ 1.2× ogen, 64 conns"].Verdict)
	require.Equal(t, "met", got["hookgen memory ≥ 2.8× kin, 64 conns"].Verdict)
	require.Equal(t, "**missed**", got["hookgen-bolt ≥ 0.30× bare, 64 conns"].Verdict)
	require.Equal(t, "met", got["hookgen-bolt ≥ 5× fsync per request, 64 conns"].Verdict)
	require.Equal(t, "not measured: mode not available", got["hookgen Redis ≥ 0.30× bare, 64 conns"].Verdict)
	require.Equal(t, "not measured: failed its smoke check: smoke check hookgen-postgres, open payload: got 503, want 200",
		got["PostgreSQL inbox: req/s, scales with connections"].Verdict)
	require.Equal(t, row("3.0 ms vs 4.0 ms", "met"), pick(got["hookgen memory p99 ≤ ogen p99 (vegeta, 500 req/s)"]))

	var md bytes.Buffer
	r.Markdown(&md)
	require.Contains(t, md.String(), "| hookgen-memory | 700 | 0.70 | 7.00 | 1.40 |")
	require.Contains(t, md.String(), "- **failed its smoke check, not measured**: hookgen-postgres: smoke check")
}

// row is a (measured, verdict) pair, to compare rows in one assertion.
func row(measured, verdict string) [2]string { return [2]string{measured, verdict} }

func pick(t harness.Target) [2]string { return [2]string{t.Measured, t.Verdict} }

func TestSpliceReplacesOnlyBetweenTheMarkers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "B.md")
	doc := "# title\n\n" + harness.BeginMarker + "\nold\n" + harness.EndMarker + "\n\nafter\n"
	require.NoError(t, os.WriteFile(path, []byte(doc), 0o644))
	require.NoError(t, harness.Splice(path, []byte("new table")))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "# title\n\n"+harness.BeginMarker+"\nnew table\n"+harness.EndMarker+"\n\nafter\n", string(raw))

	require.NoError(t, os.WriteFile(path, []byte("no markers"), 0o644))
	require.ErrorIs(t, harness.Splice(path, []byte("x")), harness.ErrNoMarkers)
}

package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookgen/hookgen/internal/bench/payload"
	"github.com/hookgen/hookgen/internal/bench/serve"
)

// Config is one benchmark run.
type Config struct {
	// BenchDir is the benchmark module's directory (internal/bench), Repo
	// the repository root, WorkDir where binaries, logs and data go.
	BenchDir, Repo, WorkDir string
	// Only restricts the receivers to these names (all when empty).
	Only []string
	// Rounds of alternating runs; medians are taken over them.
	Rounds int
	// Conns are the wrk connection counts, Threads wrk's threads.
	Conns   []int
	Threads int
	// Duration of each wrk run, and of the warm-up before the first round.
	Duration, Warmup time.Duration
	// OpenRate (requests/s) and OpenDuration of each vegeta run; 0 skips.
	OpenRate     int
	OpenDuration time.Duration
	// MicroCount and MicroTime are -count and -benchtime of the Go
	// micro-benchmarks; MicroCount 0 skips them.
	MicroCount int
	MicroTime  string
	// MicroMillion also runs the million-key memory benchmark (~20 s).
	MicroMillion bool
	// ProfileDir, when set, makes every recv-hookgen process write a CPU
	// profile of its whole run to ProfileDir/<name>.pprof (for
	// `go tool pprof`); leave it empty for the figures of record.
	ProfileDir string
	// Command is the command line, for the report.
	Command string
	// Log receives progress lines.
	Log io.Writer

	start time.Time
}

// Sample is one closed-loop run of one receiver.
type Sample struct {
	Closed
	// CPU is the receiver processes' user+system time during the run.
	CPU time.Duration
	// WALSyncs counts the PostgreSQL WAL fsyncs during the run (receivers
	// with a PostgresURL only).
	WALSyncs int64
}

// AcksPerFsync returns requests per PostgreSQL WAL fsync (0 when none).
func (s Sample) AcksPerFsync() float64 {
	if s.WALSyncs <= 0 {
		return 0
	}
	return float64(s.Requests) / float64(s.WALSyncs)
}

// CPUPerRequest returns the server CPU time per request.
func (s Sample) CPUPerRequest() time.Duration {
	if s.Requests == 0 {
		return 0
	}
	return s.CPU / time.Duration(s.Requests)
}

// ReceiverResult holds one receiver's samples.
type ReceiverResult struct {
	Receiver
	// Closed holds, per connection count, one sample per round.
	Closed map[int][]Sample
	// Open holds one vegeta run per round.
	Open []Open
	// PeakRSS is the receiver's VmHWM after its last run.
	PeakRSS int64
}

// Result is a whole run.
type Result struct {
	Config  Config
	Env     Env
	Results []*ReceiverResult
	Skipped []string // "name: why"
	// Failed lists the receivers that failed their smoke check ("name:
	// error"); they are not measured, and the run is an error.
	Failed   []string
	Generate time.Duration
	Micro    []Micro
	// MicroFailed lists the micro-benchmarks that failed.
	MicroFailed []string
	// LoadEnd is the load average after the run.
	LoadEnd string
	// Elapsed is the run's wall time.
	Elapsed time.Duration
}

// Env describes the machine.
type Env struct {
	Date, GoVersion, Kernel, CPU, Wrk, LoadStart, Commit string
	NProc                                                int
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		_, _ = fmt.Fprintf(c.Log, "bench [%4.0fs] "+format+"\n", append([]any{time.Since(c.start).Seconds()}, args...)...)
	}
}

// Run builds the receivers, starts them, checks each one, puts them under
// load in alternating rounds, runs the micro-benchmarks and returns the
// figures. Every process it starts is stopped before it returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	start := time.Now()
	cfg.start = start
	if _, err := exec.LookPath("wrk"); err != nil {
		return nil, fmt.Errorf("harness: wrk is not installed (apt-get install -y wrk): %w", err)
	}
	res := &Result{Config: cfg, Env: machine(ctx)}
	res.Env.Commit = commit(ctx, cfg.Repo)
	bin := filepath.Join(cfg.WorkDir, "bin")
	logs := filepath.Join(cfg.WorkDir, "logs")
	data := filepath.Join(cfg.WorkDir, "data")
	for _, d := range []string{bin, logs, data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	cfg.logf("building receivers into %s", bin)
	bins, err := Build(ctx, cfg.BenchDir, cfg.Repo, bin)
	if err != nil {
		return nil, err
	}
	if d, err := TimeGenerate(ctx, bins.Path("hookgen"), cfg.Repo, filepath.Join(cfg.WorkDir, "generated")); err != nil {
		return nil, err
	} else {
		res.Generate = d
	}
	var cleanups []func()
	procs, err := startAll(ctx, &cfg, res, bins, logs, data, &cleanups)
	defer func() {
		for _, ps := range procs {
			stopAll(ps)
		}
		for _, c := range cleanups {
			c()
		}
	}()
	if err != nil {
		return nil, err
	}
	if err := load(ctx, &cfg, res, procs, logs); err != nil {
		return nil, err
	}
	for i, rr := range res.Results {
		for _, p := range procs[i] {
			if rss, err := PeakRSS(p.PID()); err == nil {
				rr.PeakRSS = max(rr.PeakRSS, rss)
			}
		}
		stopAll(procs[i])
	}
	if cfg.MicroCount > 0 {
		cfg.logf("micro-benchmarks (-count %d -benchtime %s)", cfg.MicroCount, cfg.MicroTime)
		raw := filepath.Join(logs, "micro.txt")
		m, err := RunMicro(ctx, cfg.BenchDir, cfg.MicroCount, cfg.MicroTime, cfg.MicroMillion, raw)
		if err != nil {
			return nil, err
		}
		res.Micro = m
		if out, err := os.ReadFile(raw); err == nil {
			res.MicroFailed = FailedBenchmarks(out)
		}
	}
	res.LoadEnd = loadavg()
	res.Elapsed = time.Since(start)
	return res, nil
}

// startAll starts the selected receivers (each replica of each) and
// smoke-checks every process; a receiver whose mode is unavailable is
// recorded in res.Skipped. procs[i] are the processes of res.Results[i].
// Functions to run once the processes are stopped go to cleanups.
func startAll(ctx context.Context, cfg *Config, res *Result, bins *Binaries, logs, data string, cleanups *[]func()) ([][]*Proc, error) {
	var procs [][]*Proc
	for _, r := range Receivers() {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, r.Name) {
			continue
		}
		env := ArgEnv{Data: data, Repo: cfg.Repo}
		if r.PostgresURL != "" {
			u, drop, err := PrepareSchema(ctx, r.PostgresURL)
			if err != nil {
				res.Skipped = append(res.Skipped, r.Name+": "+firstLine(err.Error()))
				cfg.logf("%s skipped: %v", r.Name, err)
				continue
			}
			*cleanups = append(*cleanups, drop)
			env.Postgres = u
		}
		if r.RedisURL != "" {
			u, drop, err := PrepareRedis(ctx, r.RedisURL)
			if err != nil {
				res.Skipped = append(res.Skipped, r.Name+": "+firstLine(err.Error()))
				cfg.logf("%s skipped: %v", r.Name, err)
				continue
			}
			*cleanups = append(*cleanups, drop)
			env.Redis = u
		}
		var group []*Proc
		var err error
		for k := range r.replicas() {
			name := r.Name
			if r.replicas() > 1 {
				name = fmt.Sprintf("%s-%d", r.Name, k+1)
			}
			args := r.Args(env)
			if cfg.ProfileDir != "" && r.Bin == "recv-hookgen" {
				args = append(args, "-cpuprofile", filepath.Join(cfg.ProfileDir, name+".pprof"))
			}
			var p *Proc
			p, err = Start(name, bins.Path(r.Bin), args, logs, r.PortFromStdout)
			if err != nil {
				break
			}
			group = append(group, p)
			cfg.logf("%s pid %d on 127.0.0.1:%d", name, p.PID(), p.Port)
			if err = Check(ctx, r, p.Port); err != nil {
				err = &checkError{err: err, log: p.LogTail()}
				break
			}
		}
		if errors.Is(err, ErrSkipped) {
			res.Skipped = append(res.Skipped, r.Name+": "+firstLine(strings.TrimPrefix(err.Error(), ErrSkipped.Error()+": ")))
			cfg.logf("%s skipped: %v", r.Name, err)
			stopAll(group)
			continue
		}
		var ce *checkError
		if errors.As(err, &ce) {
			res.Failed = append(res.Failed, r.Name+": "+ce.err.Error())
			cfg.logf("%s FAILED its smoke check: %v\nits log:\n%s", r.Name, ce.err, ce.log)
			stopAll(group)
			continue
		}
		procs = append(procs, group)
		if err != nil {
			return procs, err
		}
		res.Results = append(res.Results, &ReceiverResult{Receiver: r, Closed: map[int][]Sample{}})
	}
	if len(res.Results) == 0 {
		return procs, errors.New("harness: no receiver to measure")
	}
	cfg.logf("smoke checks passed for %d receivers", len(res.Results))
	return procs, nil
}

// checkError is a failed smoke check, with the end of the process's log.
type checkError struct {
	err error
	log string
}

func (e *checkError) Error() string { return e.err.Error() }

func stopAll(ps []*Proc) {
	for _, p := range ps {
		p.Stop()
	}
}

func cpuTicks(ps []*Proc) (int64, error) {
	var sum int64
	for _, p := range ps {
		t, err := CPUTicks(p.PID())
		if err != nil {
			return 0, err
		}
		sum += t
	}
	return sum, nil
}

func closedRun(ctx context.Context, cfg *Config, ps []*Proc, conns int, d time.Duration, script func() (string, error)) (Closed, error) {
	ports := make([]int, len(ps))
	for i, p := range ps {
		ports[i] = p.Port
	}
	return DriveClosed(ctx, ports, conns, cfg.Threads, d, script)
}

// DriveClosed runs one closed-loop measurement against every port at once,
// one wrk each (its script from script), conns split between them, and sums
// the figures; the latencies are the worst port's.
func DriveClosed(ctx context.Context, ports []int, conns, threads int, d time.Duration, script func() (string, error)) (Closed, error) {
	results := make([]Closed, len(ports))
	errs := make([]error, len(ports))
	var wg sync.WaitGroup
	for i, port := range ports {
		sc, err := script()
		if err != nil {
			return Closed{}, err
		}
		c := max(1, conns/len(ports))
		if i < conns%len(ports) {
			c++
		}
		wg.Go(func() { results[i], errs[i] = Wrk(ctx, sc, port, c, threads, d) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Closed{}, err
	}
	var sum Closed
	for _, r := range results {
		sum.Requests += r.Requests
		sum.Errors += r.Errors
		sum.Duration = max(sum.Duration, r.Duration)
		sum.P50 = max(sum.P50, r.P50)
		sum.P99 = max(sum.P99, r.P99)
	}
	return sum, nil
}

// load runs the warm-up and the alternating rounds.
func load(ctx context.Context, cfg *Config, res *Result, procs [][]*Proc, logs string) error {
	body := payload.Open()
	run := uint16(0)
	nextScript := func() (string, error) {
		run++
		return WriteWrkScript(logs, body, run)
	}
	for i, ps := range procs {
		if cfg.Warmup <= 0 {
			break
		}
		if _, err := closedRun(ctx, cfg, ps, 64, cfg.Warmup, nextScript); err != nil {
			return fmt.Errorf("%s warm-up: %w", res.Results[i].Name, err)
		}
	}
	cfg.logf("warm-up done")
	n := len(procs)
	for round := range cfg.Rounds {
		for k := range n {
			i := (k + round) % n // rotate the order every round
			ps, rr := procs[i], res.Results[i]
			for _, c := range cfg.Conns {
				if err := measure(ctx, cfg, ps, rr, c, round, nextScript); err != nil {
					return err
				}
			}
			if cfg.OpenRate > 0 {
				run++
				o, err := OpenLoop(ctx, ps[0].Port, cfg.OpenRate, cfg.OpenDuration, payload.NewGenerator(body, run))
				if err != nil {
					return fmt.Errorf("%s open loop: %w", rr.Name, err)
				}
				rr.Open = append(rr.Open, o)
				cfg.logf("round %d %-16s open %d/s sent %.0f/s p50 %v p99 %v success %.4f",
					round+1, rr.Name, cfg.OpenRate, o.Rate, o.P50, o.P99, o.Success)
			}
		}
	}
	return nil
}

// measure makes one closed-loop sample of rr at c connections, with the
// CPU of its processes and, for a PostgreSQL receiver, the WAL fsyncs.
func measure(ctx context.Context, cfg *Config, ps []*Proc, rr *ReceiverResult, c, round int, script func() (string, error)) error {
	var wal0 int64
	if rr.PostgresURL != "" {
		var err error
		if wal0, err = WALSyncs(ctx, rr.PostgresURL); err != nil {
			return err
		}
	}
	t0, err := cpuTicks(ps)
	if err != nil {
		return err
	}
	cl, err := closedRun(ctx, cfg, ps, c, cfg.Duration, script)
	if err != nil {
		return fmt.Errorf("%s c=%d: %w", rr.Name, c, err)
	}
	t1, err := cpuTicks(ps)
	if err != nil {
		return err
	}
	s := Sample{Closed: cl, CPU: time.Duration(t1-t0) * time.Second / ClockTicks}
	if rr.PostgresURL != "" {
		wal1, err := WALSyncs(ctx, rr.PostgresURL)
		if err != nil {
			return err
		}
		s.WALSyncs = wal1 - wal0
	}
	rr.Closed[c] = append(rr.Closed[c], s)
	cfg.logf("round %d %-16s c=%-3d %8.0f req/s p99 %v cpu %v/req errors %d",
		round+1, rr.Name, c, cl.RPS(), cl.P99, s.CPUPerRequest(), cl.Errors)
	return nil
}

// Check is the smoke check of one receiver: the open payload is answered
// 200, and, as r declares, a wrong token is refused, truncated JSON and a
// payload without its required notificationId are answered 400.
func Check(ctx context.Context, r Receiver, port int) error {
	body := payload.NewGenerator(payload.Open(), 0xffff)
	missing := bytes.Replace(body.Next(), []byte(`"notificationId"`), []byte(`"notificationID"`), 1)
	cases := []struct {
		what  string
		token string
		body  []byte
		on    bool
		ok    func(int) bool
		want  string
	}{
		{"open payload", serve.Token, body.Next(), true, func(s int) bool { return s == 200 }, "200"},
		{"wrong token", "wrong-" + serve.Token, body.Next(), r.Token, func(s int) bool { return s != 200 }, "not 200"},
		{"truncated JSON", serve.Token, []byte(`{"notificationId": `), r.Syntax, func(s int) bool { return s == 400 }, "400"},
		{"no notificationId", serve.Token, missing, r.Schema, func(s int) bool { return s == 400 }, "400"},
	}
	for _, c := range cases {
		if !c.on {
			continue
		}
		status, err := post(ctx, port, c.token, c.body)
		if err != nil {
			return fmt.Errorf("smoke check %s, %s: %w", r.Name, c.what, err)
		}
		if !c.ok(status) {
			return fmt.Errorf("smoke check %s, %s: got %d, want %s", r.Name, c.what, status, c.want)
		}
	}
	return nil
}

func post(ctx context.Context, port int, token string, body []byte) (int, error) {
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, serve.Path)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(serve.TokenHeader, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// machine describes the machine the run is on.
func machine(ctx context.Context) Env {
	e := Env{Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), NProc: runtime.NumCPU(), LoadStart: loadavg()}
	if out, err := exec.CommandContext(ctx, "go", "version").Output(); err == nil {
		e.GoVersion = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "nproc").Output(); err == nil {
		_, _ = fmt.Sscan(string(out), &e.NProc)
	}
	if out, err := exec.CommandContext(ctx, "uname", "-sr").Output(); err == nil {
		e.Kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, "wrk", "--version").CombinedOutput(); err == nil || len(out) > 0 {
		e.Wrk = firstLine(strings.TrimSpace(string(out)))
	}
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				e.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return e
}

// commit names the repository's checked-out commit, noting uncommitted
// changes.
func commit(ctx context.Context, repo string) string {
	out, err := exec.CommandContext(ctx, "git", "-C", repo, "log", "-1", "--format=%h %s").Output()
	if err != nil {
		return "unknown (not a git checkout)"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

func loadavg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

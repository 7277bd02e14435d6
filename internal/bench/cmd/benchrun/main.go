// Command benchrun is the hookgen benchmark harness: it builds every
// receiver, starts each one on a loopback port, checks it, measures peak
// throughput with wrk (closed loop) and latency at a fixed rate with vegeta
// (open loop) in alternating rounds, runs the Go micro-benchmarks, prints a
// Markdown report and, with -write, puts it into BENCHMARKS.md.
//
//	cd internal/bench && go run ./cmd/benchrun            # full run, ~10 min on 2 cores
//	cd internal/bench && go run ./cmd/benchrun -smoke     # ~1 min: proves the harness works
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookgen/hookgen/internal/bench/harness"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func run() error {
	smoke := flag.Bool("smoke", false, "a short run that proves the harness works (1 round of 1 s at 8 connections unless -conns, no warm-up, micro-benchmarks once); never a timed assertion")
	rounds := flag.Int("rounds", 3, "alternating rounds (medians are taken over them)")
	duration := flag.Duration("duration", 10*time.Second, "length of each wrk run (whole seconds)")
	warmup := flag.Duration("warmup", 2*time.Second, "wrk warm-up per receiver before the first round (0: none)")
	conns := flag.String("conns", "64,8", "wrk connection counts, comma-separated")
	threads := flag.Int("threads", 2, "wrk threads")
	rate := flag.Int("rate", 500, "open-loop (vegeta) rate, requests/s; 0 skips the open loop")
	openDur := flag.Duration("open-duration", 5*time.Second, "length of each open-loop run")
	microCount := flag.Int("micro-count", 3, "go test -count of the micro-benchmarks; 0 skips them")
	microTime := flag.String("micro-time", "1s", "go test -benchtime of the micro-benchmarks")
	only := flag.String("only", "", "comma-separated receivers to run (default all): "+names())
	write := flag.String("write", "", "splice the report into this Markdown file between its markers")
	profile := flag.String("profile", "", "write a CPU profile of each hookgen receiver (recv-hookgen) into this directory (for go tool pprof; profiling costs a little throughput)")
	work := flag.String("work", "", "work directory for binaries, logs and data (default: a new temporary directory, removed after)")
	flag.Parse()

	cfg := harness.Config{
		Rounds: *rounds, Duration: *duration, Warmup: *warmup, Threads: *threads,
		OpenRate: *rate, OpenDuration: *openDur, MicroCount: *microCount, MicroTime: *microTime,
		MicroMillion: true, Log: os.Stderr, Command: command(), ProfileDir: *profile,
	}
	if *smoke {
		cfg.Rounds, cfg.Duration, cfg.Warmup, cfg.OpenRate, cfg.OpenDuration = 1, time.Second, 0, 500, time.Second
		cfg.MicroCount, cfg.MicroTime, cfg.MicroMillion = 1, "1x", false
		if !isSet("conns") {
			*conns = "8"
		}
	}
	for _, c := range strings.Split(*conns, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n <= 0 {
			return fmt.Errorf("-conns: bad count %q", c)
		}
		cfg.Conns = append(cfg.Conns, n)
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	var err error
	if cfg.BenchDir, cfg.Repo, err = dirs(); err != nil {
		return err
	}
	if cfg.ProfileDir != "" {
		if cfg.ProfileDir, err = filepath.Abs(cfg.ProfileDir); err != nil {
			return err
		}
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return err
		}
	}
	cfg.WorkDir = *work
	if cfg.WorkDir == "" {
		if cfg.WorkDir, err = os.MkdirTemp("", "hookgen-bench-"); err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(cfg.WorkDir) }()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := harness.Run(ctx, cfg)
	if err != nil {
		return err
	}
	var report bytes.Buffer
	res.Markdown(&report)
	_, _ = os.Stdout.Write(report.Bytes())
	if *write != "" {
		if err := harness.Splice(*write, report.Bytes()); err != nil {
			return err
		}
	}
	if len(res.Failed) > 0 {
		return fmt.Errorf("%d receiver(s) failed their smoke check: %s", len(res.Failed), strings.Join(res.Failed, "; "))
	}
	if len(res.MicroFailed) > 0 {
		return fmt.Errorf("%d micro-benchmark(s) failed: %s", len(res.MicroFailed), strings.Join(res.MicroFailed, "; "))
	}
	return nil
}

// isSet reports whether the flag was given on the command line.
func isSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func names() string {
	var n []string
	for _, r := range harness.Receivers() {
		n = append(n, r.Name)
	}
	return strings.Join(n, ", ")
}

// command is the command line as a user would retype it.
func command() string {
	if c := os.Getenv("BENCH_COMMAND"); c != "" {
		return c
	}
	return "go run ./cmd/benchrun " + strings.Join(os.Args[1:], " ")
}

// dirs finds the benchmark module (the working directory) and the
// repository root two levels up, checking both by their go.mod.
func dirs() (bench, repo string, err error) {
	bench, err = os.Getwd()
	if err != nil {
		return "", "", err
	}
	check := func(dir, module string) error {
		raw, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil || !strings.Contains(string(raw), "module "+module+"\n") {
			return errors.New("run benchrun from internal/bench of the hookgen repository (no " + module + " go.mod in " + dir + ")")
		}
		return nil
	}
	repo = filepath.Clean(filepath.Join(bench, "..", ".."))
	return bench, repo, errors.Join(check(bench, "github.com/hookgen/hookgen/internal/bench"), check(repo, "github.com/hookgen/hookgen"))
}

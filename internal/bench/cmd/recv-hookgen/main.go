// Command recv-hookgen serves the generated StackState receiver
// (examples/stackstate) in the store mode -store selects: memory, bolt,
// redis or postgres, synchronous or, with -durable, durable. A mode this tree has no store for exits with status 3
// and a one-line note, which the harness reports as skipped.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"time"

	"github.com/hookgen/hookgen/internal/bench/adapter"
	"github.com/hookgen/hookgen/internal/bench/serve"
)

// exitUnavailable is the exit status for a store mode that does not exist yet.
const exitUnavailable = 3

func main() { os.Exit(serveMain()) }

// serveMain runs the receiver and returns the exit status.
func serveMain() int {
	addr := flag.String("addr", "127.0.0.1:0", "loopback listen address")
	portFile := flag.String("portfile", "", "write the bound port here")
	mode := flag.String("store", "memory", "store mode: memory, bolt, redis or postgres")
	db := flag.String("db", "", "bolt database file")
	url := flag.String("url", "", "redis or postgres URL")
	durable := flag.Bool("durable", false, "durable mode: persist to the store's inbox before the acknowledgement")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		stop, err := profile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "recv-hookgen:", err)
			return 1
		}
		defer stop()
	}
	// Warnings and errors only: a delivery that fails says why in the log
	// the harness shows, and the successful ones cost no logging.
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	err := run(*addr, *portFile, adapter.Config{Mode: adapter.Mode(*mode), Path: *db, URL: *url, Durable: *durable,
		RejectInvalid: true, Logger: logger})
	switch {
	case errors.Is(err, adapter.ErrUnavailable):
		fmt.Fprintln(os.Stderr, "recv-hookgen:", err)
		return exitUnavailable
	case err != nil:
		fmt.Fprintln(os.Stderr, "recv-hookgen:", err)
		return 1
	}
	return 0
}

// profile starts a CPU profile into path; the returned function stops it.
func profile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
	}, nil
}

func run(addr, portFile string, cfg adapter.Config) error {
	rc, err := adapter.Open(cfg)
	if err != nil {
		return err
	}
	ln, err := serve.Listen(addr, portFile)
	if err != nil {
		_ = rc.Close(context.Background())
		return err
	}
	serr := serve.Run(ln, rc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(serr, rc.Close(ctx))
}

// Command demo is hookgen's one-command tour: it serves all five families
// straight from their specs (the code of `hookgen serve`, in-process), with
// the embedded bolt store in a temporary directory, replays every valid
// vector of every family with the vendor's own delivery semantics (the code
// of `hookgen send`, retries time-scaled), prints a summary table and what
// the receiver recorded, and exits 0 only if every delivery was
// acknowledged as its vendor expects.
//
//	go run ./internal/demo
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/hookgen/hookgen/internal/simulate"
	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/internal/specserver"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime/auth"
	"github.com/hookgen/hookgen/runtime/store"
)

// timeScale shrinks the vendors' retry intervals (StackState: seconds).
const timeScale = 0.001

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	start := time.Now()
	dir, err := os.MkdirTemp("", "hookgen-demo-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()

	// The specs, written out of the embedded openapi package so that the
	// demo runs from any directory.
	var specs []*specrun.Spec
	for _, fam := range openapi.Families() {
		raw, err := openapi.SpecBytes(fam)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, fam+".yaml")
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return err
		}
		sp, err := specrun.Load(ctx, path)
		if err != nil {
			return err
		}
		specs = append(specs, sp)
	}

	// Credentials: a StackState token, a NetPulse password, a CenturyLink
	// signing key.
	token, password := randomHex(16), randomHex(12)
	privPEM, pubPEM, err := auth.GenerateRSAKeyPair(2048)
	if err != nil {
		return err
	}
	serveSecrets := map[string]auth.Secrets{
		"stackstate": {"Token": {token}},
		"netpulse":   {"Basic": {"netpulse:" + password}},
		"clcbackup":  {"Tier3RsaSha1": {string(pubPEM)}},
	}
	sendSecrets := map[string]map[string]string{
		"stackstate": {"Token": token},
		"netpulse":   {"Basic": "netpulse:" + password},
		"clcbackup":  {"Tier3RsaSha1": string(privPEM)},
	}

	logPath := filepath.Join(dir, "deliveries.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()
	srv, err := specserver.Serve(ctx, specserver.ServeConfig{
		Specs: specs, Addr: "127.0.0.1:0", Secrets: serveSecrets, Store: "bolt:" + dir,
		Logger: slog.New(slog.NewJSONHandler(logFile, nil)),
	})
	if err != nil {
		return err
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
	fmt.Fprintf(out, "hookgen serve: listening on %s, store %s\n", srv.URL, dir)
	for _, e := range srv.Endpoints {
		fmt.Fprintf(out, "  %-10s %-22s %s\n", e.Family, e.Webhook, e.URL)
	}
	fmt.Fprintln(out)

	ok := true
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "family\tdialect\tsent\taccepted\tduplicates\tdropped\tfailures\t")
	for _, sp := range specs {
		vs, err := sp.Vectors()
		if err != nil {
			_ = shutdown()
			return err
		}
		var valid []openapi.Vector
		for _, v := range vs {
			if v.Verdict == openapi.VerdictValid {
				valid = append(valid, v)
			}
		}
		msgs, err := simulate.Messages(sp, valid)
		if err != nil {
			_ = shutdown()
			return err
		}
		sum, err := simulate.Replay(ctx, simulate.SendConfig{
			Spec: sp, Bases: []string{srv.URL}, Secrets: sendSecrets[sp.Name()], TimeScale: timeScale,
			// Replay every vector: Butler's sender would drop repeats of a
			// taskId within 300 s (hookgen send -rate-limit shows it).
			RateLimitSet: true,
		}, msgs)
		if err != nil {
			_ = shutdown()
			return err
		}
		for _, r := range sum.Results {
			if !r.OK() {
				fmt.Fprintf(out, "FAIL %s %s: status %d outcome %s: %s\n", sp.Name(), r.Message, r.Status, r.Outcome, r.Problem)
			}
		}
		ok = ok && sum.OK()
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", sum.Family, sum.Dialect, sum.Sent, sum.Accepted, sum.Duplicates, sum.Dropped, sum.Failures)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	// Durable families were acknowledged before processing: wait for
	// their workers to empty the inbox's pending entries.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		p, err := srv.Inbox().List(ctx, store.Query{State: store.Pending, Limit: 1})
		if err != nil || len(p.Entries) == 0 {
			break
		}
	}
	recs, err := srv.Records(ctx, "")
	if err != nil {
		_ = shutdown()
		return err
	}
	fmt.Fprintf(out, "\nrecorded by serve (%d deliveries; hookgen deliveries -store bolt:DIR lists them):\n", len(recs))
	for _, r := range recs {
		fmt.Fprintf(out, "  %-10s %-22s %-24s id=%s\n", r.Family, r.Webhook, r.Event, r.DeliveryID)
	}
	if err := shutdown(); err != nil {
		return err
	}
	fmt.Fprintf(out, "\ndone in %s: ", time.Since(start).Round(time.Millisecond))
	if !ok {
		fmt.Fprintln(out, "some deliveries were not acknowledged as their vendor expects")
		return fmt.Errorf("failed deliveries")
	}
	fmt.Fprintln(out, "every delivery was acknowledged as its vendor expects")
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

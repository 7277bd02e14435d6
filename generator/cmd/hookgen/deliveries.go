package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hookgen/hookgen/internal/specserver"
	"github.com/hookgen/hookgen/runtime/store"
)

func runDeliveries(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("deliveries", "[-store URL | -admin URL] [-family F] [-format text|json]",
		"hookgen deliveries -store bolt:.hookgen/hookgen.db -family stackstate -format json", stderr)
	sf := addStoreFlags(fs)
	family := fs.String("family", "", "only this family's deliveries")
	format := fs.String("format", "text", "output format: text or json (one object per line)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *format != "text" && *format != "json" {
		return usagef("-format %q: want text or json", *format)
	}
	in, err := sf.open(ctx, os.Getenv)
	if err != nil {
		return err
	}
	defer func() { _ = in.close() }()
	recs, err := specserver.ReadRecords(ctx, in, store.Query{Family: *family, State: store.EntryDone}, true)
	if err != nil {
		return err
	}
	printRecords(stdout, recs, *format)
	return nil
}

// printRecords lists records as text lines or JSON lines.
func printRecords(w io.Writer, recs []specserver.Record, format string) {
	if format == "json" {
		enc := json.NewEncoder(w)
		for _, r := range recs {
			_ = enc.Encode(r)
		}
		return
	}
	for _, r := range recs {
		fmt.Fprintf(w, "%s  %-10s %-22s %-22s id=%s attempts=%d %dB\n",
			r.ReceivedAt.Format(time.RFC3339Nano), r.Family, r.Webhook, r.Event, r.DeliveryID, r.Attempts, len(r.Payload))
	}
	fmt.Fprintf(w, "%d deliveries\n", len(recs))
}

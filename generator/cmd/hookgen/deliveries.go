package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hookgen/hookgen/internal/specserver"
)

func runDeliveries(_ context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("deliveries", "[-store PATH] [-family F] [-format text|json]",
		"hookgen deliveries -store .hookgen -family stackstate -format json", stderr)
	path := fs.String("store", specserver.DefaultStoreDir, "records file, or the directory serve wrote (bolt:PATH accepted)")
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
	p := strings.TrimPrefix(*path, "bolt:")
	if p == "" || strings.HasPrefix(p, "memory:") {
		return usagef("-store %q: want the bolt file or directory serve recorded into", *path)
	}
	recs, err := specserver.ReadRecords(p, *family)
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
		fmt.Fprintf(w, "%s  %-10s %-22s %-22s id=%s attempt=%d %dB\n",
			r.ReceivedAt.Format(time.RFC3339Nano), r.Family, r.Webhook, r.Event, r.DeliveryID, r.Attempt, len(r.Payload))
	}
	fmt.Fprintf(w, "%d deliveries\n", len(recs))
}

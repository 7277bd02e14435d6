package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hookgen/hookgen/internal/specserver"
	"github.com/hookgen/hookgen/runtime/store"
)

const inboxSynopsis = "list|show|replay|purge [-store URL | -admin URL] [-family F] [-state pending|dead|done] [-since DUR] [-format text|json] [ID...]"

func runInbox(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			printInboxUsage(stderr)
			return errHelp
		}
		return usagef("want a subcommand: list, show, replay or purge")
	}
	sub, rest := args[0], args[1:]
	ic := &inboxCmd{stdout: stdout, stderr: stderr, now: time.Now}
	fs := ic.flags(sub, stderr)
	switch sub {
	case "list", "show", "replay", "purge":
	default:
		return usagef("unknown subcommand %q: want list, show, replay or purge", sub)
	}
	ids, err := parseArgs(fs, rest)
	if err != nil {
		return err
	}
	if err := ic.check(sub, ids); err != nil {
		return err
	}
	in, err := ic.sf.open(ctx, os.Getenv)
	if err != nil {
		return err
	}
	defer func() { _ = in.close() }()
	switch sub {
	case "list":
		return ic.list(ctx, in)
	case "show":
		return ic.show(ctx, in, ids)
	case "replay":
		return ic.replay(ctx, in, ids)
	default:
		return ic.purge(ctx, in)
	}
}

func printInboxUsage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hookgen inbox "+inboxSynopsis)
	fmt.Fprintln(w, `
  list    the entries a filter selects, newest first, one page (-limit, -after CURSOR)
  show    the entries named by ID (with -family when ids repeat across families)
  replay  the entries named by ID, or every entry a filter selects (-all for every one)
  purge   delete every entry a filter selects; needs -yes

Run 'hookgen inbox SUBCOMMAND -h' for its flags. Examples:
  hookgen inbox list -store bolt:.hookgen/hookgen.db -state dead
  hookgen inbox replay -admin http://127.0.0.1:9090 -family butler -state dead
  hookgen inbox purge -store postgres://db/hooks -state done -before 720h -yes`)
}

type inboxCmd struct {
	stdout, stderr io.Writer
	now            func() time.Time
	sf             storeFlags
	family, state  *string
	since, before  *time.Duration
	format         *string
	limit          *int
	after          *string
	all, yes       *bool
	progress       *string
}

func (ic *inboxCmd) flags(sub string, stderr io.Writer) *flag.FlagSet {
	fs := newFlags("inbox "+sub, "[-store URL | -admin URL] [-family F] [-state pending|dead|done] [-since DUR] [-format text|json] [ID...]",
		"hookgen inbox "+sub+" -store bolt:.hookgen/hookgen.db -family butler -state dead", stderr)
	ic.sf = addStoreFlags(fs)
	ic.family = fs.String("family", "", "only this family's entries")
	ic.state = fs.String("state", "", "only entries in this state: pending, dead or done")
	ic.since = fs.Duration("since", 0, "only entries received within this duration (24h)")
	ic.before = fs.Duration("before", 0, "only entries received longer ago than this duration (720h)")
	ic.format = fs.String("format", "text", "output format: text or json (one object per line)")
	ic.limit = fs.Int("limit", 100, "list: entries per page (at most 1000)")
	ic.after = fs.String("after", "", "list: continue after this cursor (printed at the end of a page)")
	ic.all = fs.Bool("all", false, "replay: every entry, when no ID and no filter is given")
	ic.yes = fs.Bool("yes", false, "purge: really delete")
	ic.progress = fs.String("progress", "auto", "replay: progress bar: auto (on a terminal), always or never")
	return fs
}

// check validates the flags of sub before anything is opened.
func (ic *inboxCmd) check(sub string, ids []string) error {
	if *ic.format != "text" && *ic.format != "json" {
		return usagef("-format %q: want text or json", *ic.format)
	}
	if *ic.state != "" {
		if _, ok := store.ParseEntryState(*ic.state); !ok {
			return usagef("-state %q: want pending, dead or done", *ic.state)
		}
	}
	if *ic.since < 0 || *ic.before < 0 {
		return usagef("-since and -before take a positive duration")
	}
	if *ic.limit < 1 || *ic.limit > store.MaxPageSize {
		return usagef("-limit %d: want 1 to %d", *ic.limit, store.MaxPageSize)
	}
	switch *ic.progress {
	case "auto", "always", "never":
	default:
		return usagef("-progress %q: want auto, always or never", *ic.progress)
	}
	filtered := *ic.family != "" || *ic.state != "" || *ic.since > 0 || *ic.before > 0
	switch sub {
	case "list", "purge":
		if len(ids) > 0 {
			return usagef("unexpected argument %q: %s takes a filter, not ids", ids[0], sub)
		}
		if sub == "purge" && !*ic.yes {
			return usagef("purge deletes every entry the filter selects: pass -yes to confirm")
		}
	case "show":
		if len(ids) == 0 {
			return usagef("show needs an ID")
		}
	case "replay":
		if len(ids) == 0 && !filtered && !*ic.all {
			return usagef("replay needs IDs, a filter (-family, -state, -since, -before) or -all")
		}
		if len(ids) > 0 && (*ic.state != "" || *ic.since > 0 || *ic.before > 0 || *ic.all) {
			return usagef("replay takes IDs or a filter, not both")
		}
	}
	return nil
}

func (ic *inboxCmd) query() store.Query {
	q := store.Query{Family: *ic.family}
	q.State, _ = store.ParseEntryState(*ic.state)
	if *ic.since > 0 {
		q.Since = ic.now().Add(-*ic.since)
	}
	if *ic.before > 0 {
		q.Before = ic.now().Add(-*ic.before)
	}
	return q
}

func (ic *inboxCmd) list(ctx context.Context, in inboxHandle) error {
	q := ic.query()
	q.Limit, q.After = *ic.limit, *ic.after
	p, err := in.List(ctx, q)
	if err != nil {
		return err
	}
	for _, e := range p.Entries {
		ic.print(e)
	}
	if *ic.format == "text" {
		fmt.Fprintf(ic.stdout, "%d entries\n", len(p.Entries))
		if p.Next != "" {
			fmt.Fprintf(ic.stdout, "more: -after %s\n", p.Next)
		}
	}
	return nil
}

func (ic *inboxCmd) print(e store.Entry) {
	if *ic.format == "json" {
		_ = json.NewEncoder(ic.stdout).Encode(specserver.RecordOf(e))
		return
	}
	reason := e.Reason
	if e.State == store.Pending && !e.NextAt.IsZero() {
		reason = "due " + e.NextAt.UTC().Format(time.RFC3339)
	}
	fmt.Fprintf(ic.stdout, "%s  %-7s %-14s %-10s %-24s id=%s attempts=%d duplicates=%d\n",
		e.ReceivedAt.UTC().Format(time.RFC3339Nano), e.State, reason, e.Family, e.Event, e.ID, e.Attempts, e.Duplicates)
	if e.LastError != "" {
		fmt.Fprintf(ic.stdout, "    last error: %s\n", e.LastError)
	}
}

// find returns the entry with id: in -family, else in the one family that
// holds it.
func (ic *inboxCmd) find(ctx context.Context, in inboxHandle, id string) (store.Entry, error) {
	if *ic.family != "" {
		e, err := in.GetEntry(ctx, *ic.family, id)
		if errors.Is(err, store.ErrNotFound) {
			return e, fmt.Errorf("no entry %s in family %s", id, *ic.family)
		}
		return e, err
	}
	var found []store.Entry
	q := store.Query{Limit: store.MaxPageSize}
	for {
		p, err := in.List(ctx, q)
		if err != nil {
			return store.Entry{}, err
		}
		for _, e := range p.Entries {
			if e.ID == id {
				found = append(found, e)
			}
		}
		if p.Next == "" {
			break
		}
		q.After = p.Next
	}
	switch len(found) {
	case 0:
		return store.Entry{}, fmt.Errorf("no entry %s (pass -family to look in one family)", id)
	case 1:
		return found[0], nil
	}
	return store.Entry{}, usagef("entry %s is in %d families: pass -family", id, len(found))
}

func (ic *inboxCmd) show(ctx context.Context, in inboxHandle, ids []string) error {
	for _, id := range ids {
		e, err := ic.find(ctx, in, id)
		if err != nil {
			return err
		}
		if *ic.format == "json" {
			ic.print(e)
			continue
		}
		r := specserver.RecordOf(e)
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(ic.stdout, string(b))
	}
	return nil
}

func (ic *inboxCmd) replay(ctx context.Context, in inboxHandle, ids []string) error {
	var targets []store.Entry
	if len(ids) > 0 {
		for _, id := range ids {
			e, err := ic.find(ctx, in, id)
			if err != nil {
				return err
			}
			targets = append(targets, e)
		}
	} else {
		q := ic.query()
		q.Limit = store.MaxPageSize
		for {
			p, err := in.List(ctx, q)
			if err != nil {
				return err
			}
			for _, e := range p.Entries {
				if e.State != store.Pending {
					targets = append(targets, e)
				}
			}
			if p.Next == "" {
				break
			}
			q.After = p.Next
		}
	}
	bar := newReplayBar(ic.stderr, *ic.progress, len(targets))
	for i, e := range targets {
		if err := in.Replay(ctx, e.Family, e.ID); err != nil {
			bar.done()
			return fmt.Errorf("replay %s/%s (after %d of %d): %w", e.Family, e.ID, i, len(targets), err)
		}
		bar.set(i + 1)
	}
	bar.done()
	fmt.Fprintf(ic.stdout, "replayed %d entries\n", len(targets))
	return nil
}

func (ic *inboxCmd) purge(ctx context.Context, in inboxHandle) error {
	n, err := in.Purge(ctx, ic.query())
	if err != nil {
		return err
	}
	fmt.Fprintf(ic.stdout, "purged %d entries\n", n)
	return nil
}

// replayBar draws a bar on w when it is a terminal (or when forced).
type replayBar struct {
	w     io.Writer
	total int
	on    bool
	last  time.Time
}

func newReplayBar(w io.Writer, mode string, total int) *replayBar {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	return &replayBar{w: w, total: total, on: on && total > 0}
}

func (p *replayBar) set(n int) {
	if !p.on || (n < p.total && time.Since(p.last) < 50*time.Millisecond) {
		return
	}
	p.last = time.Now()
	const width = 30
	fill := width * n / p.total
	fmt.Fprintf(p.w, "\rreplay [%s%s] %d/%d", strings.Repeat("#", fill), strings.Repeat(".", width-fill), n, p.total)
}

func (p *replayBar) done() {
	if p.on {
		fmt.Fprintln(p.w)
	}
}

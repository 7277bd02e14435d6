package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hookgen/hookgen/generator/scaffold"
)

func runScaffold(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("scaffold ticketing", "-families F,... -tracker redmine -module M -out DIR [-hookgen DIR] [-force]",
		"hookgen scaffold ticketing -families stackstate,clcbackup -tracker redmine -module example.com/alerts -out ./alerts", stderr)
	families := fs.String("families", "", "comma-separated families: "+strings.Join(scaffold.Families(), ","))
	tracker := fs.String("tracker", "redmine", "issue tracker: "+strings.Join(scaffold.Trackers(), ","))
	module := fs.String("module", "", "Go module path of the new project")
	out := fs.String("out", "", "output directory (must be empty or absent unless -force)")
	hookgen := fs.String("hookgen", "", "local hookgen checkout: adds a replace directive so the module builds offline")
	force := fs.Bool("force", false, "write into a non-empty -out directory, overwriting files")
	quiet := fs.Bool("q", false, "print nothing on success")
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		return parse(fs, args[:1])
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("missing kind: hookgen scaffold ticketing ...")
	}
	if args[0] != "ticketing" {
		return usagef("unknown scaffold %q (known: ticketing)", args[0])
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if *families == "" || *module == "" || *out == "" {
		return usagef("-families, -module and -out are required")
	}
	if !*force {
		if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty (use -force to overwrite)", *out)
		}
	}
	files, err := scaffold.Ticketing(ctx, scaffold.TicketingOptions{
		Families: strings.Split(*families, ","), Tracker: *tracker, Module: *module, Hookgen: *hookgen, Out: *out})
	if errors.Is(err, scaffold.ErrUnknownFamily) || errors.Is(err, scaffold.ErrUnknownTracker) || errors.Is(err, scaffold.ErrInvalid) {
		return usagef("%v", err)
	}
	if err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(*out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return err
		}
	}
	if !*quiet {
		fmt.Fprintf(stdout, "hookgen: wrote %d files to %s\n", len(files), *out)
	}
	return nil
}

// Command hookgen generates typed webhook receivers and senders from
// OpenAPI specs, validates payloads, simulates vendors and serves a spec
// with no code written.
//
//	hookgen generate -spec FILE -package NAME -out DIR
//	hookgen validate   -spec FILE [-op NAME | -event NAME] [-strict] [-format text|json] PAYLOAD...
//	hookgen serve      -spec FILE [-spec FILE]... -addr HOST:PORT [-ops-addr HOST:PORT] [-config FILE] [-secret SCHEME=VALUE]... [-store URL] [-mode sync|durable] [-strict]
//	hookgen deliveries [-store URL | -admin URL] [-family F] [-format text|json]
//	hookgen inbox      list|show|replay|purge [-store URL | -admin URL] [-family F] [-state pending|dead|done] [-since DUR] [-format text|json] [ID...]
//	hookgen migrate    -store postgres://…
//	hookgen send       -spec FILE -url BASE [-event NAME | -example NAME | -file PAYLOAD] [-secret SCHEME=VALUE]...
//	                   [-scenario duplicate|reorder|storm] [-method M] [-time-scale F] [-rate-limit DUR] [-format text|json]
//	hookgen send       -gen-key DIR
//	hookgen scaffold   ticketing -families F,... -tracker redmine -module M -out DIR [-hookgen DIR] [-force]
//
// The subcommands only parse flags and print: validate runs on
// internal/specrun, serve and deliveries on internal/specserver, send on
// internal/simulate (the vendor simulator), all of which internal/demo
// calls in-process; generate runs the generator package.
//
// Every subcommand has -h. Exit status: 0 success, 1 failure (an invalid
// payload, a failed delivery, a bad spec), 2 usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// usageError is a mistake in the command line: exit 2 with a one-line reason.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"generate", "generate a typed receiver and sender package from a spec", runGenerate},
		{"validate", "validate payloads (files, stdin, query strings) against a spec", runValidate},
		{"serve", "serve a spec with no code: validate, deduplicate and record every delivery", runServe},
		{"deliveries", "list the processed deliveries a store recorded", runDeliveries},
		{"inbox", "list, show, replay and purge the deliveries a store keeps (dead letter included)", runInbox},
		{"migrate", "apply the PostgreSQL store's schema migrations", runMigrate},
		{"send", "replay vectors or a file with the vendor's delivery semantics", runSend},
		{"scaffold", "write a new ticketing project: receivers, mapping layer, tracker adapter", runScaffold},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdin, stdout, stderr)
			return exitCode(err, c.name, stderr)
		}
	}
	fmt.Fprintf(stderr, "hookgen: unknown command %q: run 'hookgen -h' for the list\n", args[0])
	return 2
}

// errSilent marks a failure already reported on stdout (exit 1, no message).
var errSilent = errors.New("silent failure")

func exitCode(err error, name string, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "hookgen %s: %s (see 'hookgen %s -h')\n", name, ue.msg, name)
		return 2
	case errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errSilent):
		return 1
	default:
		fmt.Fprintf(stderr, "hookgen %s: %v\n", name, err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "hookgen: typed webhook receivers from OpenAPI specs")
	fmt.Fprintln(w, "\nUsage: hookgen <command> [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hookgen <command> -h' for a command's flags and an example.")
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/hookgen/hookgen/internal/specrun"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/dynamic"
)

// errorf builds one finding.
func errorf(pointer, rule, format string, args ...any) runtime.FieldError {
	return runtime.FieldError{Pointer: pointer, Rule: rule, Message: fmt.Sprintf(format, args...)}
}

func runValidate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("validate", "-spec FILE [-op NAME | -event NAME] [-strict] [-format text|json] PAYLOAD...",
		"hookgen validate -spec openapi/stackstate.yaml -strict openapi/examples/stackstate/docs-open.json\n"+
			"  hookgen validate -spec openapi/butler.yaml 'event=Qlik+Sense+reload+failed&taskId=...&executionId=...'\n"+
			"  cat payload.json | hookgen validate -spec openapi/netpulse.yaml -format json -", stderr)
	spec := fs.String("spec", "", "OpenAPI document the payloads must conform to, or a hookgen.yaml naming one (required)")
	op := fs.String("op", "", "validate against this webhook (spec key) or operationId only")
	event := fs.String("event", "", "the payload must dispatch to this event")
	strict := fs.Bool("strict", false, "strict mode: unknown enum values and bad formats are errors (default lenient: warnings)")
	format := fs.String("format", "text", "output format: text (one line per payload) or json (one object per line)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *spec == "":
		return usagef("-spec is required")
	case len(pos) == 0:
		return usagef("no PAYLOAD given: pass files, - for stdin, or a query string")
	case *op != "" && *event != "":
		return usagef("-op and -event are exclusive")
	case *format != "text" && *format != "json":
		return usagef("-format %q: want text or json", *format)
	}
	payloads := make([]specrun.Payload, 0, len(pos))
	usedStdin := false
	for _, a := range pos {
		p, err := readPayload(a, stdin, &usedStdin)
		if err != nil {
			return err
		}
		payloads = append(payloads, p)
	}
	sp, err := specrun.Load(ctx, *spec)
	if err != nil {
		return err
	}
	var ops []specrun.Operation
	if *op != "" {
		if ops, err = sp.Resolve(*op); err != nil {
			return usagef("-op: %v", err)
		}
	}
	if *event != "" {
		ops = opsWithEvent(sp, *event)
		if len(ops) == 0 {
			return usagef("-event %q: %s has no such event", *event, sp.Name())
		}
	}
	anyInvalid := false
	enc := json.NewEncoder(stdout)
	for _, p := range payloads {
		v := sp.Validate(p, ops, *strict)
		if v.Valid && *event != "" && v.Event != *event {
			v.Valid = false
			v.Errors = append(v.Errors, errorf("", "event", "the payload dispatches to %s, not %s", v.Event, *event))
		}
		anyInvalid = anyInvalid || !v.Valid
		if *format == "json" {
			if err := enc.Encode(v); err != nil {
				return err
			}
			continue
		}
		if v.Valid {
			fmt.Fprintf(stdout, "ok %s %s\n", p.Name, v.Event)
			if len(v.Warnings) > 0 {
				fmt.Fprintf(stderr, "warning %s: %s\n", p.Name, specrun.FormatErrors(v.Warnings))
			}
		} else {
			fmt.Fprintf(stdout, "invalid %s: %s\n", p.Name, specrun.FormatErrors(v.Errors))
		}
	}
	if anyInvalid {
		return errSilent
	}
	return nil
}

// readPayload reads one PAYLOAD argument: "-" (stdin), a file, or a query
// string / URL (contains '?' or '=' and is not a file).
func readPayload(arg string, stdin io.Reader, usedStdin *bool) (specrun.Payload, error) {
	var raw []byte
	switch arg {
	case "-":
		if *usedStdin {
			return specrun.Payload{}, usagef("- (stdin) given twice")
		}
		*usedStdin = true
		b, err := io.ReadAll(stdin)
		if err != nil {
			return specrun.Payload{}, fmt.Errorf("read stdin: %w", err)
		}
		raw = b
	default:
		b, err := os.ReadFile(arg)
		switch {
		case err == nil:
			raw = b
		case strings.ContainsAny(arg, "?="):
			p, qerr := specrun.QueryPayload(arg, arg)
			if qerr != nil {
				return specrun.Payload{}, usagef("%v", qerr)
			}
			return p, nil
		default:
			return specrun.Payload{}, usagef("PAYLOAD %q is not a readable file, - (stdin) or a query string: %v", arg, err)
		}
	}
	if strings.HasSuffix(arg, ".query") || specrun.LooksLikeQuery(raw) {
		p, err := specrun.QueryPayload(arg, string(raw))
		if err != nil {
			return specrun.Payload{}, err
		}
		return p, nil
	}
	return specrun.Payload{Name: arg, Body: raw}, nil
}

// opsWithEvent lists the operations that can dispatch event.
func opsWithEvent(sp *specrun.Spec, event string) []specrun.Operation {
	var out []specrun.Operation
	for _, w := range sp.Model.Webhooks {
		for _, o := range w.Operations {
			if slices.ContainsFunc(o.Events, func(e *dynamic.OpEvent) bool { return e.Event.Name == event }) {
				out = append(out, specrun.Operation{Webhook: w.Name, Method: strings.ToUpper(o.Method)})
			}
		}
	}
	return out
}

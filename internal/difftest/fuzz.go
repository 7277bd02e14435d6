package difftest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/schema"
)

// lexerRefusals are the rules under which hookgen refuses a body that
// kin-openapi (which reads JSON with encoding/json) accepts, on purpose:
// duplicate members, invalid UTF-8 and lone surrogate escapes (a syntax
// error to hookgen's lexer) (openapi/README.md, "Bytes and member names").
var lexerRefusals = map[string]bool{
	schema.RuleDuplicateKey: true,
	schema.RuleUTF8:         true,
	schema.RuleSyntax:       true,
}

// Fuzz is the body of a family's decoder fuzz target. Its seeds are the
// family's valid JSON-body vectors; each input is a body and the index of
// the (webhook, method) it is sent to. The oracle:
//
//   - the typed value the generated decoder returns, re-encoded, reads
//     exactly like the input: every value it holds is the value at the same
//     JSON pointer of the body read with exact member names (ReadsExactly);
//   - the strict verdict agrees with kin-openapi's, except for the lexer's
//     deliberate refusals (lexerRefusals), which only ever make hookgen
//     stricter: hookgen never accepts what kin-openapi refuses.
func Fuzz(f *testing.F, family string, fam *runtime.Family) {
	oracle, err := NewOracle(context.Background(), family)
	if err != nil {
		f.Fatal(err)
	}
	vectors, err := openapi.Vectors(family)
	if err != nil {
		f.Fatal(err)
	}
	type target struct{ webhook, method string }
	var targets []target
	index := map[target]int{}
	for _, v := range vectors {
		if v.Verdict != openapi.VerdictValid || v.Query != "" || strings.HasSuffix(v.File, ".query") || len(v.Body) == 0 {
			continue
		}
		tg := target{v.Webhook, v.Method}
		i, ok := index[tg]
		if !ok {
			i = len(targets)
			index[tg] = i
			targets = append(targets, tg)
		}
		f.Add(v.Body, uint8(i))
	}
	if len(targets) == 0 {
		f.Fatal("no valid JSON vector to seed from")
	}
	f.Fuzz(func(t *testing.T, body []byte, op uint8) {
		tg := targets[int(op)%len(targets)]
		c := Case{Webhook: tg.webhook, Method: tg.method, Body: body, Header: http.Header{"Content-Type": {"application/json"}}}
		var w *runtime.Webhook
		for i := range fam.Webhooks {
			if fam.Webhooks[i].Name == tg.webhook {
				w = &fam.Webhooks[i]
			}
		}
		if w == nil {
			t.Fatalf("no webhook %s", tg.webhook)
		}
		req := &runtime.Request{Webhook: tg.webhook, Method: tg.method, Header: c.Header, Raw: body, Body: body}
		ev, err := w.Decode(req, true)
		ours := err == nil
		if ours {
			got, merr := json.Marshal(ev.Payload)
			if merr != nil {
				t.Fatalf("re-encoding the typed %T: %v", ev.Payload, merr)
			}
			if rerr := ReadsExactly(body, got); rerr != nil {
				t.Fatalf("typed value differs from the exact-key reading of %q: %v (typed: %s)", body, rerr, got)
			}
		}
		kin, kinErr := oracle.Valid(c)
		switch {
		case ours && !kin:
			t.Fatalf("hookgen accepts what kin-openapi refuses (%s): %q", kinErr, body)
		case !ours && kin:
			var ve *runtime.ValidationError
			if errors.As(err, &ve) && len(ve.Errors) > 0 && lexerRefusals[ve.Errors[0].Rule] {
				return
			}
			t.Fatalf("hookgen refuses what kin-openapi accepts: %v: %q", err, body)
		}
	})
}

// ReadsExactly reports whether every non-null leaf of got (a JSON
// document) is the value at the same JSON pointer of doc read with exact
// member names (runtime/schema.Parse): nothing in got came from a member of
// doc with another spelling. Numbers compare by value, date-times by
// instant.
func ReadsExactly(doc, got []byte) error {
	d, fe := schema.Parse(doc)
	if fe != nil {
		return fmt.Errorf("document: %v", fe)
	}
	g, fe := schema.Parse(got)
	if fe != nil {
		return fmt.Errorf("typed value: %v", fe)
	}
	var first error
	leaves(g, "", func(ptr string, v any) {
		if first != nil {
			return
		}
		at, ok := resolve(d, ptr)
		switch {
		case !ok:
			first = fmt.Errorf("%s is in the typed value but not in the document", ptr)
		case scalar(v) != scalar(at):
			first = fmt.Errorf("value at %s: typed %v, document %v", ptr, v, at)
		}
	})
	return first
}

func leaves(v any, ptr string, f func(string, any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, y := range x {
			leaves(y, ptr+"/"+escape(k), f)
		}
	case []any:
		for i, y := range x {
			leaves(y, ptr+"/"+strconv.Itoa(i), f)
		}
	case nil:
	default:
		f(ptr, x)
	}
}

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

func resolve(v any, ptr string) (any, bool) {
	if ptr == "" {
		return v, true
	}
	for _, tok := range strings.Split(ptr[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// scalar makes numbers comparable by value and date-times by instant.
func scalar(v any) any {
	switch x := v.(type) {
	case string:
		if tm, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return tm.UTC()
		}
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	}
	return v
}

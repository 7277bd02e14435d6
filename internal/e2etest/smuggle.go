package e2etest

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/internal/difftest"
	"github.com/hookgen/hookgen/openapi"
	"github.com/hookgen/hookgen/runtime/receiver"
)

// SmuggledMembers sends, for every valid JSON-body vector of f, the
// documents a hostile sender builds to make the handler see something the
// validators did not check, over HTTP to the generated receiver:
//
//   - case variants: after every scalar member, a member whose name is the
//     upper-cased name ("NOTIFICATIONID") with a different value of the same
//     kind. The receiver may refuse it (4xx, no handler call) or accept it,
//     but then every value of the handler's payload, re-marshalled, is the
//     value at the same pointer of the sent document read with exact keys
//     (a variant is an unknown member, or a map key of its own, never a
//     field's value), and the vendor's document is all there;
//   - duplicates: every scalar member repeated, with a different value, after
//     itself. Refused with 400 and a problem naming rule duplicateKey and
//     the member's pointer, in strict and lenient mode; the handler is never
//     called.
func SmuggledMembers(t *testing.T, f *Family) {
	t.Helper()
	n := 0
	for _, v := range Vectors(t, f) {
		if v.Verdict != openapi.VerdictValid || v.Query != "" || strings.HasSuffix(v.File, ".query") || len(bytes.TrimSpace(v.Body)) == 0 {
			continue
		}
		n++
		t.Run(v.Name+"/case-variants", func(t *testing.T) {
			e := Start(t, f)
			sv := v
			sv.Body = rewrite(t, v.Body, caseVariants)
			require.NotEqual(t, string(v.Body), string(sv.Body), "the vector has members to vary")
			r := e.Send(t, sv)
			if r.Status >= 400 {
				assert.Less(t, r.Status, 500, "%s", r.Body)
				assert.Zero(t, e.Recorder.Count(""), "a refused delivery reaches no handler")
				return
			}
			require.Equal(t, 1, e.Recorder.Count(""), "%d %s", r.Status, r.Body)
			call, _ := e.Recorder.Last()
			got, err := json.Marshal(call.Payload)
			require.NoError(t, err)
			AssertReadsExactly(t, sv.Body, got)
			want, err := e.Kit.Document(v)
			require.NoError(t, err)
			AssertReadsExactly(t, got, want)
		})
		for _, strict := range []bool{true, false} {
			mode := map[bool]string{true: "strict", false: "lenient"}[strict]
			t.Run(v.Name+"/duplicates-"+mode, func(t *testing.T) {
				e := Start(t, f, strictOption(f, strict)...)
				ptrs := scalarPointers(t, v.Body)
				require.NotEmpty(t, ptrs)
				for _, p := range ptrs {
					sv := v
					sv.Body = rewrite(t, v.Body, duplicateAt(p))
					r := e.Send(t, sv)
					require.Equal(t, 400, r.Status, "duplicate %s: %s", p, r.Body)
					var pr struct {
						Errors []struct{ Pointer, Rule string }
					}
					require.NoError(t, json.Unmarshal(r.Body, &pr), "%s", r.Body)
					require.NotEmpty(t, pr.Errors, "%s", r.Body)
					assert.Equal(t, "duplicateKey", pr.Errors[0].Rule, "%s", r.Body)
					assert.Equal(t, p, pr.Errors[0].Pointer, "%s", r.Body)
				}
				assert.Zero(t, e.Recorder.Count(""), "no duplicate reaches the handler")
			})
		}
	}
	assert.Positive(t, n, "no valid JSON vector")
}

// BadBytes sends the first valid JSON-body vector of f with hostile bytes
// in its first string value, over HTTP, to a strict and a lenient receiver:
// invalid UTF-8 (a lone 0xff) and a lone surrogate escape (\ud800). Each is
// answered 400 with a problem whose rule is utf8 or syntax and whose detail
// gives the byte offset; the handler is never called.
func BadBytes(t *testing.T, f *Family) {
	t.Helper()
	var base openapi.Vector
	for _, v := range Vectors(t, f) {
		if v.Verdict == openapi.VerdictValid && v.Query == "" && !strings.HasSuffix(v.File, ".query") && len(bytes.TrimSpace(v.Body)) > 0 {
			base = v
			break
		}
	}
	require.NotEmpty(t, base.Name, "no valid JSON vector")
	// The first string value: after `":`, optional spaces and `"`.
	loc := firstString.FindIndex(base.Body)
	require.NotNil(t, loc, "a string member in %s", base.Name)
	at := loc[1]
	for _, c := range []struct {
		name, insert, rule string
		offset             int
	}{
		{"invalid UTF-8", "\xff", "utf8", at},
		{"lone surrogate", `\ud800`, "syntax", -1},
	} {
		for _, strict := range []bool{true, false} {
			t.Run(c.name+map[bool]string{true: "/strict", false: "/lenient"}[strict], func(t *testing.T) {
				e := Start(t, f, strictOption(f, strict)...)
				sv := base
				sv.Body = append(append(append([]byte{}, base.Body[:at]...), c.insert...), base.Body[at:]...)
				r := e.Send(t, sv)
				require.Equal(t, 400, r.Status, "%s", r.Body)
				var pr struct {
					Errors []struct{ Pointer, Rule, Detail string }
				}
				require.NoError(t, json.Unmarshal(r.Body, &pr), "%s", r.Body)
				require.NotEmpty(t, pr.Errors, "%s", r.Body)
				assert.Equal(t, c.rule, pr.Errors[0].Rule, "%s", r.Body)
				assert.Regexp(t, ` at byte (offset )?[0-9]+`, pr.Errors[0].Detail, "%s", r.Body)
				if c.offset >= 0 {
					assert.Regexp(t, ` at byte (offset )?`+strconv.Itoa(c.offset)+`\b`, pr.Errors[0].Detail, "%s", r.Body)
				}
				assert.Zero(t, e.Recorder.Count(""))
			})
		}
	}
}

// smuggled returns a value of raw's kind that differs from it and still
// fits the types generated for it (a UUID stays a UUID, a date-time a
// date-time).
func smuggled(raw jsontext.Value) string {
	switch raw.Kind() {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		switch {
		case len(s) == 36 && strings.Count(s, "-") == 4:
			if s == "00000000-0000-0000-0000-000000000000" {
				return `"11111111-1111-1111-1111-111111111111"`
			}
			return `"00000000-0000-0000-0000-000000000000"`
		case isTime(s):
			return `"1999-01-01T00:00:00Z"`
		}
		return `"SMUGGLED"`
	case '0':
		if string(raw) == "7" {
			return "8"
		}
		return "7"
	case 't':
		return "false"
	case 'f':
		return "true"
	}
	return ""
}

func isTime(s string) bool {
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// member is one member of an object being rewritten.
type member struct {
	name string
	ptr  string
	raw  jsontext.Value
}

// edit returns the extra members to write after m ("" for none).
type edit func(m member) string

func caseVariants(m member) string {
	up := strings.ToUpper(m.name)
	if up == m.name {
		return ""
	}
	v := smuggled(m.raw)
	if v == "" {
		return ""
	}
	q, _ := jsontext.AppendQuote(nil, up)
	return string(q) + ":" + v
}

func duplicateAt(ptr string) edit {
	return func(m member) string {
		if m.ptr != ptr {
			return ""
		}
		v := smuggled(m.raw)
		q, _ := jsontext.AppendQuote(nil, m.name)
		return string(q) + ":" + v
	}
}

// scalarPointers lists the pointers of the scalar object members of body.
func scalarPointers(t *testing.T, body []byte) []string {
	var ptrs []string
	rewrite(t, body, func(m member) string {
		if smuggled(m.raw) != "" {
			ptrs = append(ptrs, m.ptr)
		}
		return ""
	})
	return ptrs
}

// rewrite copies the JSON document body, writing after each object member
// the members e returns for it. A variant of a name already present in the
// object is not added.
func rewrite(t *testing.T, body []byte, e edit) []byte {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, rewriteValue(&out, jsontext.Value(bytes.TrimSpace(body)), "", e))
	return out.Bytes()
}

func rewriteValue(out *bytes.Buffer, raw jsontext.Value, ptr string, e edit) error {
	switch raw.Kind() {
	case '{':
		var obj []member
		d := jsontext.NewDecoder(bytes.NewReader(raw))
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		names := map[string]bool{}
		for d.PeekKind() != '}' {
			k, err := d.ReadToken()
			if err != nil {
				return err
			}
			name := k.String()
			v, err := d.ReadValue()
			if err != nil {
				return err
			}
			names[name] = true
			obj = append(obj, member{name: name, ptr: ptr + "/" + escape(name), raw: v.Clone()})
		}
		out.WriteByte('{')
		for i, m := range obj {
			if i > 0 {
				out.WriteByte(',')
			}
			q, _ := jsontext.AppendQuote(nil, m.name)
			out.Write(q)
			out.WriteByte(':')
			if err := rewriteValue(out, m.raw, m.ptr, e); err != nil {
				return err
			}
			if extra := e(m); extra != "" && !names[extraName(extra)] {
				out.WriteByte(',')
				out.WriteString(extra)
			} else if extra != "" && extraName(extra) == m.name {
				out.WriteByte(',')
				out.WriteString(extra) // a duplicate on purpose
			}
		}
		out.WriteByte('}')
	case '[':
		d := jsontext.NewDecoder(bytes.NewReader(raw))
		if _, err := d.ReadToken(); err != nil {
			return err
		}
		out.WriteByte('[')
		for i := 0; d.PeekKind() != ']'; i++ {
			v, err := d.ReadValue()
			if err != nil {
				return err
			}
			if i > 0 {
				out.WriteByte(',')
			}
			if err := rewriteValue(out, v.Clone(), ptr+"/"+itoa(i), e); err != nil {
				return err
			}
		}
		out.WriteByte(']')
	default:
		out.Write(raw)
	}
	return nil
}

func extraName(member string) string {
	var s string
	d := jsontext.NewDecoder(strings.NewReader(member))
	if t, err := d.ReadToken(); err == nil {
		s = t.String()
	}
	return s
}

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

var firstString = regexp.MustCompile(`"\s*:\s*"`)

// strictOption returns the receiver options of a strict or lenient
// receiver that answers refusals with their status (poison-ack off).
func strictOption(f *Family, strict bool) []receiver.Option {
	opts := []receiver.Option{receiver.WithStrict(strict)}
	if f.PoisonAck {
		opts = append(opts, receiver.WithPoisonAck(false))
	}
	return opts
}

// AssertReadsExactly asserts that every non-null leaf of got (a JSON
// document) is the value at the same JSON pointer of doc, read with exact
// member names (difftest.ReadsExactly): nothing in got came from a member
// of doc with another spelling.
func AssertReadsExactly(t *testing.T, doc, got []byte) {
	t.Helper()
	assert.NoError(t, difftest.ReadsExactly(doc, got), "%s", got)
}

package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// reference decodes with encoding/json the way the generated validators
// used to, and is the oracle for parseJSON.
func reference(b []byte) (any, error) {
	if !json.Valid(b) { // what json.Unmarshal (and kin-openapi) accept
		return nil, errInvalid
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

var errInvalid = &parseError{msg: "invalid"}

// checkAgainstReference: parseJSON accepts what encoding/json accepts and
// produces the same value, except for the documents it refuses on purpose
// (invalid UTF-8, duplicate members, lone surrogate escapes), each
// of which is confirmed independently of the lexer.
func checkAgainstReference(t *testing.T, b []byte) {
	t.Helper()
	want, werr := reference(b)
	got, gerr := parseJSON(b)
	if werr == nil && gerr != nil {
		if why := justified(b, want, gerr); why != "" {
			t.Fatalf("%q: encoding/json accepts it, parseJSON refuses it (%v), and %s", b, gerr, why)
		}
		return
	}
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: encoding/json err=%v, parseJSON err=%v", b, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%q: encoding/json %#v, parseJSON %#v", b, want, got)
	}
}

// justified returns "" when refusing b (which encoding/json decoded to
// want) with gerr is one of the documented refusals, else why not.
func justified(b []byte, want any, gerr *parseError) string {
	switch gerr.rule {
	case RuleUTF8:
		if utf8.Valid(b) {
			return "it is valid UTF-8"
		}
	case RuleDuplicateKey:
		if !hasDuplicate(b) {
			return "it has no duplicate member"
		}
	case RuleSyntax:
		// encoding/json replaces a lone surrogate escape by U+FFFD.
		if !utf8.Valid(b) || !walkStrings(want, func(s string) bool { return strings.ContainsRune(s, utf8.RuneError) }) {
			return "it is no lone surrogate"
		}
	default:
		return "the rule is " + gerr.rule
	}
	return ""
}

// hasDuplicate reports, with encoding/json's tokenizer, whether an object
// in b has two members of the same name.
func hasDuplicate(b []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(b))
	type frame struct {
		obj   bool
		key   bool
		names map[string]bool
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.obj && top.key {
			s := tok.(string)
			if top.names[s] {
				return true
			}
			top.names[s] = true
			top.key = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{obj: true, key: true, names: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && stack[len(stack)-1].obj {
			stack[len(stack)-1].key = true
		}
	}
}

func walkStrings(v any, f func(string) bool) bool {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for _, y := range x {
			if walkStrings(y, f) {
				return true
			}
		}
	case map[string]any:
		for k, y := range x {
			if f(k) || walkStrings(y, f) {
				return true
			}
		}
	}
	return false
}

func TestParseCorpus(t *testing.T) {
	cases := []string{
		`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `1E+9`, `"a"`, ` {"a" : [1, {"b":null}] } `,
		`{"a":1,"a":2}`, `"\u00e9\ud83d\ude00\ud83d"`, `"\ud83dx"`, `"\udc00"`, "\"\xff\"", `"\/\b\f\n\r\t"`,
		`01`, `1.`, `.5`, `-`, `1e`, `+1`, `[1,]`, `{"a":1,}`, `{"a"}`, `{1:2}`, `"\x"`, "\"\x01\"", `tru`, `nul`, `[`, `{"a":`,
		`{"a":1} x`, `{"a":1}{}`, "", " ", `"\u12g4"`, `"\u+123"`, `[1 2]`,
	}
	for _, c := range cases {
		checkAgainstReference(t, []byte(c))
	}
	files, _ := filepath.Glob("../../openapi/examples/*/*.json")
	if len(files) == 0 {
		t.Fatal("no example payloads found")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, b)
	}
}

// FuzzParse: parseJSON accepts what encoding/json accepts and produces the
// same value, except for the documented refusals (see checkAgainstReference).
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",true,null,{"b":-1e3}]}`, `"\ud83d\ude00"`, `[[[]]]`, `{"a":1} `} {
		f.Add([]byte(s))
	}
	if files, _ := filepath.Glob("../../openapi/examples/*/*.json"); len(files) > 0 {
		for _, fn := range files[:min(8, len(files))] {
			if b, err := os.ReadFile(fn); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAgainstReference(t, b)
	})
}

func BenchmarkParse(b *testing.B) {
	body, err := os.ReadFile("../../openapi/examples/stackstate/docs-open.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("hookgen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reference(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestParseAcceptsNUL: U+0000 is a character like any other (RFC 8259;
// the JSON-Schema-Test-Suite's const and enum cases need it).
func TestParseAcceptsNUL(t *testing.T) {
	v, fe := Parse([]byte(`{"a\u0000":"x\u0000"}`))
	require.Nil(t, fe)
	assert.Equal(t, map[string]any{"a\x00": "x\x00"}, v)
}

// TestParseRefusals pins each refusal: rule, pointer and byte offset.
func TestParseRefusals(t *testing.T) {
	for _, c := range []struct {
		in, rule, ptr, msg string
	}{
		{`{"a":1,"a":2}`, RuleDuplicateKey, "/a", `duplicate object member "a" at byte 7`},
		{`{"x":{"a":1,"\u0061":2}}`, RuleDuplicateKey, "/x/a", `duplicate object member "a" at byte 12`},
		{"{\"a\":\"\xff\"}", RuleUTF8, "", "invalid UTF-8 at byte 6"},
		{"\xef\xbb\xbf{}", RuleSyntax, "", ""},
		{`{"a":"\ud800"}`, RuleSyntax, "", ""},
		{`{"a":1} x`, RuleSyntax, "", "unexpected data after the JSON document at byte 8"},
		{`{"a":`, RuleSyntax, "", "unexpected end of input at byte 5"},
	} {
		_, fe := Parse([]byte(c.in))
		require.NotNil(t, fe, c.in)
		assert.Equal(t, c.rule, fe.Rule, c.in)
		assert.Equal(t, c.ptr, fe.Pointer, c.in)
		assert.Contains(t, fe.Message, " at byte ", c.in)
		if c.msg != "" {
			assert.Equal(t, c.msg, fe.Message, c.in)
		}
	}
}

package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
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

func checkAgainstReference(t *testing.T, b []byte) {
	t.Helper()
	want, werr := reference(b)
	got, gerr := parseJSON(b)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%q: encoding/json err=%v, parseJSON err=%v", b, werr, gerr)
	}
	if werr == nil && !reflect.DeepEqual(want, got) {
		t.Fatalf("%q: encoding/json %#v, parseJSON %#v", b, want, got)
	}
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

// FuzzParse: parseJSON accepts exactly what encoding/json accepts and
// produces the same value.
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

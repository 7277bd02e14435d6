package expr

import (
	"os"
	"strings"
	"testing"

	"github.com/hookgen/hookgen/runtime"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"$method", "$url", "$request.header.X-Id", "$request.query.a", "$request.path.id",
		"$request.body", "$request.body#", "$request.body#/a~1b/~0/0", "$request.body#/a~",
		"$response.body", "$request.header.", "", "$", "$request.body#x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if !e.IsZero() || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("Parse(%q) failed but returned %#v / %v", s, e, err)
			}
			return
		}
		if e.String() != s {
			t.Fatalf("String() = %q, want %q", e.String(), s)
		}
		again, err := Parse(e.String())
		if err != nil || again.src != e.src || again.name != e.name || strings.Join(again.tokens, "\x00") != strings.Join(e.tokens, "\x00") {
			t.Fatalf("reparse of %q differs: %v", s, err)
		}
		// Evaluating a parsed expression never panics.
		_, _, _ = e.Eval(&runtime.Request{Body: []byte(`{"a":[1,{"b":null}]}`)})
	})
}

func FuzzPointer(f *testing.F) {
	doc, err := os.ReadFile("testdata/notification-open.json")
	if err != nil {
		f.Fatal(err)
	}
	seeds := []struct{ doc, pointer string }{
		{string(doc), "/event/triggeredTimeMs"},
		{string(doc), "/component/tags/3"},
		{`{"a":{"b":[1,2,{"c":"\u00e9"}]}}`, "/a/b/2/c"},
		{`{"a":1,"a":2}`, "/a"},
		{`{"a~b/c":true}`, "/a~0b~1c"},
		{`[[],{},"",0,-0.5e-3,null,false]`, "/4"},
		{`{"\ud800":1}`, "/\uFFFD"},
		{"{\"\xff\":1}", "/\uFFFD"},
		{`{"a" : [ 1 , 2 ] }  `, "/a/1"},
		{`{"a":1,}`, "/a"},
		{`{"a":"x`, "/a"},
		{``, ""},
	}
	for _, s := range seeds {
		f.Add([]byte(s.doc), s.pointer)
	}
	f.Fuzz(func(t *testing.T, doc []byte, pointer string) {
		assertAgreesWithReference(t, doc, pointer)
	})
}

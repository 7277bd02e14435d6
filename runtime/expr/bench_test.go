package expr

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/hookgen/hookgen/runtime"
)

// The benchmarks resolve pointers in the 1,955-byte StackState "notification
// open" payload. BenchmarkDecodeBaseline is the encoding/json alternative
// (decode into map[string]any, then walk) measured in the same run; compare
// the two as a ratio.

func loadPayload(b *testing.B) []byte {
	b.Helper()
	doc, err := os.ReadFile("testdata/notification-open.json")
	if err != nil {
		b.Fatal(err)
	}
	return doc
}

func BenchmarkPointer(b *testing.B) {
	doc := loadPayload(b)
	for _, p := range []string{"/notificationId", "/event/triggeredTimeMs", "/component/tags/14", "/metadata/team"} {
		b.Run(p, func(b *testing.B) {
			e := MustParse("$request.body#" + p)
			req := &runtime.Request{Body: doc}
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				if _, ok, err := e.Eval(req); !ok || err != nil {
					b.Fatal(ok, err)
				}
			}
		})
	}
}

func BenchmarkKey(b *testing.B) {
	doc := loadPayload(b)
	l, err := ParseList([]string{"$request.body#/notificationId", "$request.body#/event/triggeredTimeMs"})
	if err != nil {
		b.Fatal(err)
	}
	req := &runtime.Request{Body: doc}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Key(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeBaseline(b *testing.B) {
	doc := loadPayload(b)
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(doc, &v); err != nil {
			b.Fatal(err)
		}
		if v["event"].(map[string]any)["triggeredTimeMs"] == nil {
			b.Fatal("missing")
		}
	}
}

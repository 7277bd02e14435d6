package auth

import (
	"net/http"
	"testing"

	"github.com/hookgen/hookgen/runtime"
)

func BenchmarkAuthenticate(b *testing.B) {
	schemes := []runtime.SecurityScheme{
		{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-StackState-Webhook-Token"},
		{Name: "SW", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "standard-webhooks"}},
		{Name: "GH", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "github"}},
	}
	body := []byte(testBody)
	for _, s := range schemes {
		b.Run(s.Name, func(b *testing.B) {
			a, err := New(familyFor(s), Secrets{s.Name: {"old-secret", "new-secret"}}, WithClock(fixedClock))
			if err != nil {
				b.Fatal(err)
			}
			r, _ := http.NewRequest(http.MethodPost, "http://x/", nil)
			if err := Sign(r, body, s, "new-secret", testNow); err != nil {
				b.Fatal(err)
			}
			req := &runtime.Request{Header: r.Header, Raw: body, Body: body}
			b.ReportAllocs()
			for b.Loop() {
				if err := a.Authenticate(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

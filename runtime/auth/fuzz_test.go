package auth

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

func FuzzStandardSignatures(f *testing.F) {
	for _, s := range []string{"v1,AAAA", "v1,AAAA v1,BBBB", "v1a,xx v1,Zm9v", "  v1,Zm9v  ", "v1,", ",", "v1,!!!", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		sigs := parseStandardSignatures(h)
		if len(sigs) > maxSignatures {
			t.Fatalf("%d signatures, cap is %d", len(sigs), maxSignatures)
		}
		parts := make([]string, len(sigs))
		for i, s := range sigs {
			if len(s) == 0 {
				t.Fatal("empty signature")
			}
			parts[i] = "v1," + base64.StdEncoding.EncodeToString(s)
		}
		again := parseStandardSignatures(strings.Join(parts, " "))
		if len(again) != len(sigs) {
			t.Fatalf("round trip: %d != %d", len(again), len(sigs))
		}
		for i := range sigs {
			if string(again[i]) != string(sigs[i]) {
				t.Fatalf("round trip changed signature %d", i)
			}
		}
	})
}

func FuzzStripeHeader(f *testing.F) {
	for _, s := range []string{"t=1772366400,v1=00ff", "t=1,v1=00,v1=zz,v0=11", "t=1,t=2,v1=00", "v1=00", "t=x,v1=00", "t=1", ",,=,", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		sh, detail, ok := parseStripeHeader(h)
		if !ok {
			switch detail {
			case "repeated timestamp in Stripe-Signature", "malformed timestamp in Stripe-Signature",
				"no timestamp in Stripe-Signature", "no v1 signature in Stripe-Signature":
			default: // details are fixed texts: they never echo the header
				t.Fatalf("unexpected failure detail %q for %q", detail, h)
			}
			return
		}
		if len(sh.sigs) == 0 || len(sh.sigs) > maxSignatures {
			t.Fatalf("%d signatures", len(sh.sigs))
		}
		if ts, ok := parseTimestamp(sh.t); !ok || ts != sh.ts {
			t.Fatalf("timestamp %q parsed as %d", sh.t, sh.ts)
		}
		var b strings.Builder
		b.WriteString("t=" + sh.t)
		for _, s := range sh.sigs {
			b.WriteString(",v1=" + hex.EncodeToString(s))
		}
		again, _, ok := parseStripeHeader(b.String())
		if !ok || again.ts != sh.ts || len(again.sigs) != len(sh.sigs) {
			t.Fatalf("round trip of %q failed", b.String())
		}
	})
}

func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"1772366400", "0", "", "-1", "+1", "1e9", "999999999999", "9999999999999", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := parseTimestamp(s)
		want, err := strconv.ParseUint(s, 10, 64)
		wantOK := err == nil && len(s) <= 12 && !strings.ContainsAny(s, "+-")
		if ok != wantOK || ok && uint64(n) != want {
			t.Fatalf("parseTimestamp(%q) = %d, %v; want %d, %v", s, n, ok, want, wantOK)
		}
	})
}

func FuzzBasic(f *testing.F) {
	for _, s := range []string{"Basic dTpw", "basic  dTpw ", "Basic dXA=", "Basic !!", "Bearer x", "Basic", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		creds, ok := parseBasic(h)
		if !ok {
			return
		}
		if !strings.Contains(creds, ":") {
			t.Fatalf("credentials without ':' from %q", h)
		}
		r := &http.Request{Header: http.Header{}}
		user, pass, _ := strings.Cut(creds, ":")
		r.SetBasicAuth(user, pass)
		if again, ok := parseBasic(r.Header.Get("Authorization")); !ok || again != creds {
			t.Fatalf("round trip of %q failed", creds)
		}
	})
}

func FuzzBearer(f *testing.F) {
	for _, s := range []string{"Bearer x", "bearer  x ", "Bearer", "Bearer ", "Basic x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok, ok := parseBearer(h)
		if !ok {
			return
		}
		if tok == "" || strings.Trim(tok, " \t") != tok {
			t.Fatalf("bad token %q from %q", tok, h)
		}
		if again, ok := parseBearer("Bearer " + tok); !ok || again != tok {
			t.Fatalf("round trip of %q failed", tok)
		}
	})
}

// FuzzAuthenticate throws arbitrary signature headers at every signature
// format: it must never panic and never accept a forgery.
func FuzzAuthenticate(f *testing.F) {
	f.Add("v1,AAAA", "msg_1", "1772366400", []byte(testBody))
	f.Add("t=1772366400,v1=00", "", "", []byte("{}"))
	f.Add("sha256=00ff", "", "", []byte{})
	var as []*Authenticator
	var headers []string
	for _, spec := range []runtime.SignatureSpec{
		{Format: "standard-webhooks"}, {Format: "stripe"}, {Format: "github"},
		{Format: "hmac", Header: "X-Sig", Encoding: "base64", Prefix: "p="},
	} {
		s := runtime.SecurityScheme{Name: "S", Kind: runtime.Signature, Signature: &spec}
		a, err := New(familyFor(s), Secrets{"S": {whsec("fuzz-key")}}, WithClock(fixedClock))
		if err != nil {
			f.Fatal(err)
		}
		p, _ := resolveSignature("S", s, time.Minute)
		as = append(as, a)
		headers = append(headers, p.header)
	}
	f.Fuzz(func(t *testing.T, sig, id, ts string, body []byte) {
		for i, a := range as {
			req := &runtime.Request{Header: http.Header{
				headers[i]:          {sig},
				"Webhook-Id":        {id},
				"Webhook-Timestamp": {ts},
			}, Raw: body}
			if err := a.Authenticate(req); err == nil {
				t.Fatalf("forgery accepted by %s: %q", headers[i], sig)
			}
		}
	})
}

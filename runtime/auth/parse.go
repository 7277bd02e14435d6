package auth

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// maxSignatures caps how many signatures one header may carry.
const maxSignatures = 32

// parseBearer parses "Bearer <token>" (scheme word case-insensitive, one or
// more spaces before the token).
func parseBearer(h string) (string, bool) {
	word, rest, ok := strings.Cut(strings.TrimLeft(h, " "), " ")
	if !ok || !strings.EqualFold(word, "Bearer") {
		return "", false
	}
	tok := strings.Trim(rest, " \t")
	return tok, tok != ""
}

// parseBasic parses "Basic <base64(user:password)>" (scheme word
// case-insensitive) and returns "user:password".
func parseBasic(h string) (string, bool) {
	word, rest, ok := strings.Cut(strings.TrimLeft(h, " "), " ")
	if !ok || !strings.EqualFold(word, "Basic") {
		return "", false
	}
	b, err := base64.StdEncoding.DecodeString(strings.Trim(rest, " \t"))
	if err != nil || !strings.Contains(string(b), ":") {
		return "", false
	}
	return string(b), true
}

// parseTimestamp parses a Unix time in seconds: 1 to 12 ASCII digits.
func parseTimestamp(s string) (int64, bool) {
	if s == "" || len(s) > 12 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseStandardSignatures parses a Standard Webhooks webhook-signature
// header: space-separated "<version>,<base64>" entries. It returns the
// decoded v1 signatures; entries of other versions and entries that do not
// decode are skipped. At most maxSignatures entries are read.
func parseStandardSignatures(h string) [][]byte {
	var sigs [][]byte
	n := 0
	for part := range strings.SplitSeq(h, " ") {
		if part == "" {
			continue
		}
		if n++; n > maxSignatures {
			break
		}
		version, sig, ok := strings.Cut(part, ",")
		if !ok || version != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) == 0 {
			continue
		}
		sigs = append(sigs, b)
	}
	return sigs
}

// stripeHeader is a parsed Stripe-Signature header.
type stripeHeader struct {
	t    string // the timestamp as sent (it is part of the signed content)
	ts   int64
	sigs [][]byte
}

// parseStripeHeader parses "t=<unix>,v1=<hex>,v1=<hex>,…". Unknown keys
// (v0, …) and v1 values that are not hex are skipped. It fails, with a
// detail safe to log, on a missing, repeated or malformed t and when no v1
// signature is usable. At most maxSignatures items are read.
func parseStripeHeader(h string) (stripeHeader, string, bool) {
	var out stripeHeader
	seenT := false
	n := 0
	for item := range strings.SplitSeq(h, ",") {
		if n++; n > maxSignatures {
			break
		}
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			if seenT {
				return stripeHeader{}, "repeated timestamp in Stripe-Signature", false
			}
			seenT = true
			ts, ok := parseTimestamp(v)
			if !ok {
				return stripeHeader{}, "malformed timestamp in Stripe-Signature", false
			}
			out.t, out.ts = v, ts
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) == 0 {
				continue
			}
			out.sigs = append(out.sigs, b)
		}
	}
	if !seenT {
		return stripeHeader{}, "no timestamp in Stripe-Signature", false
	}
	if len(out.sigs) == 0 {
		return stripeHeader{}, "no v1 signature in Stripe-Signature", false
	}
	return out, "", true
}

// decodeSignature strips prefix and decodes one signature ("hex" or
// "base64"; base64 is accepted padded or not).
func decodeSignature(s, prefix, encoding string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if prefix != "" {
		rest, ok := strings.CutPrefix(s, prefix)
		if !ok {
			return nil, false
		}
		s = rest
	}
	var b []byte
	var err error
	if encoding == "base64" {
		b, err = base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(s)
		}
	} else {
		b, err = hex.DecodeString(s)
	}
	return b, err == nil && len(b) > 0
}

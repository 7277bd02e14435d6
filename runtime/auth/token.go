package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// newChecker builds the checker of one configured scheme.
func newChecker(name string, s runtime.SecurityScheme, secrets []string, cfg config) (checker, error) {
	switch s.Kind {
	case runtime.APIKey:
		switch s.In {
		case "header", "query", "cookie":
		default:
			return nil, configErr(name, fmt.Sprintf("apiKey location %q is not header, query or cookie", s.In))
		}
		if s.Param == "" {
			return nil, configErr(name, "apiKey scheme without a parameter name")
		}
		param := s.Param
		if s.In == "header" {
			param = textproto.CanonicalMIMEHeaderKey(param)
		}
		return &tokenChecker{kind: s.Kind, in: s.In, param: param, sums: hashAll(secrets)}, nil
	case runtime.Bearer:
		return &tokenChecker{kind: s.Kind, sums: hashAll(secrets)}, nil
	case runtime.Basic:
		for i, sec := range secrets {
			if !strings.Contains(sec, ":") {
				return nil, configErr(name, fmt.Sprintf(`secret %d is not "user:password"`, i))
			}
		}
		return &tokenChecker{kind: s.Kind, sums: hashAll(secrets)}, nil
	case runtime.Signature:
		p, err := resolveSignature(name, s, cfg.tolerance)
		if err != nil {
			return nil, err
		}
		return newSignatureChecker(name, p, secrets)
	}
	return nil, configErr(name, fmt.Sprintf("unknown scheme kind %d", s.Kind))
}

// tokenChecker verifies APIKey, Bearer and Basic credentials. It keeps only
// SHA-256 digests of the secrets and compares digests, so the comparison
// takes the same time whatever the lengths involved.
type tokenChecker struct {
	kind  runtime.SchemeKind
	in    string
	param string
	sums  [][sha256.Size]byte
}

func hashAll(secrets []string) [][sha256.Size]byte {
	out := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		out[i] = sha256.Sum256([]byte(s))
	}
	return out
}

// matchAny compares got against every digest without stopping early.
func matchAny(got string, sums [][sha256.Size]byte) bool {
	sum := sha256.Sum256([]byte(got))
	ok := 0
	for i := range sums {
		ok |= subtle.ConstantTimeCompare(sum[:], sums[i][:])
	}
	return ok == 1
}

func (c *tokenChecker) check(req *runtime.Request, _ time.Time) *Failure {
	var got string
	switch c.kind {
	case runtime.APIKey:
		var found bool
		switch c.in {
		case "header":
			got, found = headerValue(req.Header, c.param)
		case "query":
			if vs := req.Query[c.param]; len(vs) > 0 {
				got, found = vs[0], true
			}
		case "cookie":
			got, found = cookieValue(req.Header, c.param)
		}
		if !found || got == "" {
			return fail(ErrMissingCredential, "missing "+c.where())
		}
		if !matchAny(got, c.sums) {
			return fail(ErrMismatch, "token mismatch")
		}
		return nil
	case runtime.Bearer:
		h, found := headerValue(req.Header, "Authorization")
		if !found || h == "" {
			return fail(ErrMissingCredential, "missing header Authorization")
		}
		tok, ok := parseBearer(h)
		if !ok {
			return fail(ErrMalformedCredential, "Authorization header is not a Bearer credential")
		}
		if !matchAny(tok, c.sums) {
			return fail(ErrMismatch, "token mismatch")
		}
		return nil
	default: // Basic
		h, found := headerValue(req.Header, "Authorization")
		if !found || h == "" {
			return fail(ErrMissingCredential, "missing header Authorization")
		}
		creds, ok := parseBasic(h)
		if !ok {
			return fail(ErrMalformedCredential, "Authorization header is not a valid Basic credential")
		}
		if !matchAny(creds, c.sums) {
			return fail(ErrMismatch, "credentials mismatch")
		}
		return nil
	}
}

func (c *tokenChecker) where() string {
	switch c.in {
	case "query":
		return "query parameter " + c.param
	case "cookie":
		return "cookie " + c.param
	}
	return "header " + c.param
}

// headerValue returns the first value of a header given in canonical form,
// falling back to a case-insensitive scan for non-canonical keys.
func headerValue(h http.Header, canonical string) (string, bool) {
	if vs, ok := h[canonical]; ok && len(vs) > 0 {
		return vs[0], true
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, canonical) {
			return vs[0], true
		}
	}
	return "", false
}

// cookieValue finds a cookie in the Cookie headers.
func cookieValue(h http.Header, name string) (string, bool) {
	var lines []string
	for k, vs := range h {
		if strings.EqualFold(k, "Cookie") {
			lines = append(lines, vs...)
		}
	}
	if len(lines) == 0 {
		return "", false
	}
	c, err := (&http.Request{Header: http.Header{"Cookie": lines}}).Cookie(name)
	if err != nil {
		return "", false
	}
	return c.Value, true
}

package expr

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hookgen/hookgen/runtime"
)

// MaxKeyLen is the longest key [List.Key] returns verbatim; longer keys are
// replaced by their SHA-256.
const MaxKeyLen = 200

// List is a parsed list of runtime expressions whose values, combined, form
// an idempotency key (x-hookgen-idempotency-key). A List is immutable and safe
// for concurrent use.
type List []Expr

// ParseList parses every expression with [Parse]. The error names the index
// of the first bad expression and wraps its *SyntaxError. An empty list is
// valid and yields no key.
func ParseList(exprs []string) (List, error) {
	l := make(List, len(exprs))
	for i, s := range exprs {
		e, err := Parse(s)
		if err != nil {
			return nil, fmt.Errorf("expression %d: %w", i, err)
		}
		l[i] = e
	}
	return l, nil
}

// Key evaluates every expression against req and combines the values into
// one key. The format is exact, so keys are stable across releases:
//
//   - each component is the value's String() (see [Value.String]); an
//     expression that resolves to nothing contributes "";
//   - in each component, '%', ':', the control bytes 0x00–0x1F and 0x7F, and
//     every byte that is not part of valid UTF-8 are written as %XX
//     (upper-case hex); every other byte is kept as is;
//   - components are joined by ':' in list order;
//   - when every component is "", Key returns "" (the delivery has no key);
//   - when the joined text is longer than [MaxKeyLen] bytes, Key returns
//     "sha256:" followed by the lower-case hex SHA-256 of the joined text.
//
// For example the list [$request.header.X-Id, $request.body#/id] gives
// "abc:42" for header X-Id "abc" and body {"id":42}, and "a%3Ab:" for header
// "a:b" and a body without id. Key fails only when the body is needed and is
// not valid JSON (an error wrapping [ErrInvalidJSON]).
func (l List) Key(req *runtime.Request) (string, error) {
	var b strings.Builder
	nonEmpty := false
	for i, e := range l {
		if i > 0 {
			b.WriteByte(':')
		}
		v, ok, err := e.Eval(req)
		if err != nil {
			return "", fmt.Errorf("expr: key component %d (%s): %w", i, e, err)
		}
		if !ok {
			continue
		}
		s := v.String()
		if s != "" {
			nonEmpty = true
			escapeComponent(&b, s)
		}
	}
	if !nonEmpty {
		return "", nil
	}
	k := b.String()
	if len(k) > MaxKeyLen {
		sum := sha256.Sum256([]byte(k))
		return "sha256:" + hex.EncodeToString(sum[:]), nil
	}
	return k, nil
}

// Strings returns the expressions as text.
func (l List) Strings() []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.String()
	}
	return out
}

func escapeComponent(b *strings.Builder, s string) {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size > 1 {
				b.WriteString(s[i : i+size])
				i += size
				continue
			}
		} else if c != '%' && c != ':' && c >= 0x20 && c != 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&0xf])
		i++
	}
}

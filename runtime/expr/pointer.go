package expr

import (
	"bytes"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/hookgen/hookgen/runtime"
)

// ErrInvalidJSON is wrapped by every error returned for a body that is not
// valid JSON (see [JSONError]).
var ErrInvalidJSON = errors.New("expr: invalid JSON")

// JSONError reports a body that is not valid JSON. It wraps
// [ErrInvalidJSON] and runtime.ErrInvalidPayload. It never quotes the body.
type JSONError struct {
	// Offset is the byte offset in the body where the problem is.
	Offset int
	// Msg says what is wrong.
	Msg string
}

// Error returns "expr: invalid JSON at offset N: msg".
func (e *JSONError) Error() string {
	return fmt.Sprintf("expr: invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrInvalidJSON) and errors.Is(err,
// runtime.ErrInvalidPayload) true.
func (e *JSONError) Unwrap() []error { return []error{ErrInvalidJSON, runtime.ErrInvalidPayload} }

// maxDepth is the deepest nesting accepted, the same limit as encoding/json.
const maxDepth = 10000

// scanner is a validating JSON scanner that skips values without decoding
// them. Its container stack is a bit set (1 = object) held inline, so a
// lookup does not allocate.
type scanner struct {
	data  []byte
	pos   int
	stack [maxDepth/64 + 1]uint64
}

// lookup resolves the reference tokens against the JSON document data and
// returns the JSON text of the designated value. The whole document is
// validated; invalid JSON returns a *JSONError. Duplicate object keys resolve
// to the last occurrence, as decoding into a map does.
func lookup(data []byte, tokens []string) (raw []byte, found bool, err error) {
	s := scanner{data: data}
	start, end, found, err := s.resolve(tokens, 0)
	if err != nil {
		return nil, false, err
	}
	s.ws()
	if s.pos != len(s.data) {
		return nil, false, s.fail("unexpected data after the top-level value")
	}
	if !found {
		return nil, false, nil
	}
	return data[start:end], true, nil
}

func (s *scanner) fail(msg string) error { return &JSONError{Offset: s.pos, Msg: msg} }

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// expect consumes c (after whitespace) or fails.
func (s *scanner) expect(c byte, msg string) error {
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != c {
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input")
		}
		return s.fail(msg)
	}
	s.pos++
	return nil
}

// resolve scans, and fully validates, the value at s.pos and returns the
// span of the value the tokens designate inside it. depth is the number of
// containers already open around the value.
func (s *scanner) resolve(tokens []string, depth int) (start, end int, found bool, err error) {
	s.ws()
	if len(tokens) == 0 {
		start = s.pos
		if err := s.skipValue(depth); err != nil {
			return 0, 0, false, err
		}
		return start, s.pos, true, nil
	}
	if s.pos >= len(s.data) {
		return 0, 0, false, s.fail("unexpected end of input")
	}
	match := -1
	switch s.data[s.pos] {
	case '{':
		if depth+1 > maxDepth {
			return 0, 0, false, s.fail("exceeded max depth")
		}
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			return 0, 0, false, nil
		}
		for {
			s.ws()
			if s.pos >= len(s.data) || s.data[s.pos] != '"' {
				if s.pos >= len(s.data) {
					return 0, 0, false, s.fail("unexpected end of input")
				}
				return 0, 0, false, s.fail("expected a string object key")
			}
			kstart := s.pos + 1
			if err := s.skipString(); err != nil {
				return 0, 0, false, err
			}
			key := s.data[kstart : s.pos-1]
			if err := s.expect(':', "expected ':' after object key"); err != nil {
				return 0, 0, false, err
			}
			s.ws()
			if keyEquals(key, tokens[0]) {
				match = s.pos
			}
			if err := s.skipValue(depth + 1); err != nil {
				return 0, 0, false, err
			}
			s.ws()
			if s.pos >= len(s.data) {
				return 0, 0, false, s.fail("unexpected end of input")
			}
			if c := s.data[s.pos]; c == ',' {
				s.pos++
				continue
			} else if c == '}' {
				s.pos++
				break
			}
			return 0, 0, false, s.fail("expected ',' or '}' after object member")
		}
	case '[':
		if depth+1 > maxDepth {
			return 0, 0, false, s.fail("exceeded max depth")
		}
		want := arrayIndex(tokens[0])
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			return 0, 0, false, nil
		}
		for i := 0; ; i++ {
			s.ws()
			if i == want {
				match = s.pos
			}
			if err := s.skipValue(depth + 1); err != nil {
				return 0, 0, false, err
			}
			s.ws()
			if s.pos >= len(s.data) {
				return 0, 0, false, s.fail("unexpected end of input")
			}
			if c := s.data[s.pos]; c == ',' {
				s.pos++
				continue
			} else if c == ']' {
				s.pos++
				break
			}
			return 0, 0, false, s.fail("expected ',' or ']' after array element")
		}
	default:
		// A scalar has no members: validate it, designate nothing.
		return 0, 0, false, s.skipValue(depth)
	}
	if match < 0 {
		return 0, 0, false, nil
	}
	// The matched member was validated while skipping it; descend into it.
	after := s.pos
	s.pos = match
	start, end, found, err = s.resolve(tokens[1:], depth+1)
	s.pos = after
	return start, end, found, err
}

// arrayIndex parses an RFC 6901 array index ("0" or no leading zero); it
// returns -1 for anything else, including "-" and indexes too large to exist.
func arrayIndex(tok string) int {
	if tok == "" || len(tok) > 15 || tok[0] == '0' && len(tok) > 1 {
		return -1
	}
	n := 0
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// keyEquals reports whether the raw (still escaped) key text decodes to tok.
func keyEquals(raw []byte, tok string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		if len(raw) == len(tok) && string(raw) == tok {
			return utf8.Valid(raw)
		}
		if utf8.Valid(raw) {
			return false
		}
	}
	var buf [128]byte
	return string(unquote(buf[:0], raw)) == tok
}

// skipValue skips the value at s.pos (after whitespace), validating it.
// depth is the number of containers already open around it.
func (s *scanner) skipValue(depth int) error {
	base := depth
	for {
		// A value starts here.
		s.ws()
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input")
		}
		switch c := s.data[s.pos]; {
		case c == '{' || c == '[':
			if depth+1 > maxDepth {
				return s.fail("exceeded max depth")
			}
			d := depth - base
			if c == '{' {
				s.stack[d/64] |= 1 << (d % 64)
			} else {
				s.stack[d/64] &^= 1 << (d % 64)
			}
			depth++
			s.pos++
			s.ws()
			if s.pos >= len(s.data) {
				return s.fail("unexpected end of input")
			}
			if s.data[s.pos] == '}' && c == '{' || s.data[s.pos] == ']' && c == '[' {
				s.pos++
				depth--
				break
			}
			if c == '{' {
				if err := s.skipKey(); err != nil {
					return err
				}
			}
			continue
		case c == '"':
			if err := s.skipString(); err != nil {
				return err
			}
		case c == 't':
			if err := s.skipLiteral("true"); err != nil {
				return err
			}
		case c == 'f':
			if err := s.skipLiteral("false"); err != nil {
				return err
			}
		case c == 'n':
			if err := s.skipLiteral("null"); err != nil {
				return err
			}
		case c == '-' || '0' <= c && c <= '9':
			if err := s.skipNumber(); err != nil {
				return err
			}
		default:
			return s.fail(fmt.Sprintf("unexpected character %q looking for the beginning of a value", c))
		}
		// A value ended: close containers or move to the next member.
		for {
			if depth == base {
				return nil
			}
			s.ws()
			if s.pos >= len(s.data) {
				return s.fail("unexpected end of input")
			}
			d := depth - base - 1
			inObject := s.stack[d/64]&(1<<(d%64)) != 0
			c := s.data[s.pos]
			if c == ',' {
				s.pos++
				if inObject {
					if err := s.skipKey(); err != nil {
						return err
					}
				}
				break
			}
			if inObject && c == '}' || !inObject && c == ']' {
				s.pos++
				depth--
				continue
			}
			if inObject {
				return s.fail("expected ',' or '}' after object member")
			}
			return s.fail("expected ',' or ']' after array element")
		}
	}
}

// skipKey skips `"key" :` (with whitespace).
func (s *scanner) skipKey() error {
	s.ws()
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	if s.data[s.pos] != '"' {
		return s.fail("expected a string object key")
	}
	if err := s.skipString(); err != nil {
		return err
	}
	return s.expect(':', "expected ':' after object key")
}

// skipString skips the string starting at s.pos (a '"').
func (s *scanner) skipString() error {
	d := s.data
	i := s.pos + 1
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(d) {
				s.pos = len(d)
				return s.fail("unexpected end of input")
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(d) {
						s.pos = len(d)
						return s.fail("unexpected end of input")
					}
					if !isHex(d[j]) {
						s.pos = j
						return s.fail("invalid character in \\u escape")
					}
				}
				i += 6
			default:
				s.pos = i + 1
				return s.fail("invalid escape in string")
			}
		case c < 0x20:
			s.pos = i
			return s.fail("control character in string")
		default:
			i++
		}
	}
	s.pos = len(d)
	return s.fail("unexpected end of input")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (s *scanner) skipLiteral(lit string) error {
	for i := 0; i < len(lit); i++ {
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input")
		}
		if s.data[s.pos] != lit[i] {
			return s.fail("invalid literal, expected " + lit)
		}
		s.pos++
	}
	return nil
}

// skipNumber skips -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) skipNumber() error {
	d := s.data
	digits := func() int {
		n := 0
		for s.pos < len(d) && '0' <= d[s.pos] && d[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if d[s.pos] == '-' {
		s.pos++
	}
	if s.pos >= len(d) {
		return s.fail("unexpected end of input in number")
	}
	switch {
	case d[s.pos] == '0':
		s.pos++
	case '1' <= d[s.pos] && d[s.pos] <= '9':
		digits()
	default:
		return s.fail("invalid character in number")
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return s.fail("expected a digit after the decimal point")
		}
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return s.fail("expected a digit in the exponent")
		}
	}
	return nil
}

// unquote appends the decoded content of a valid JSON string (without its
// quotes) to dst, with encoding/json's semantics: invalid UTF-8 and unpaired
// surrogates become U+FFFD.
func unquote(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			r++
			switch s[r] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(s[r+1:])
				r += 5
				if utf16.IsSurrogate(rr) {
					if len(s) >= r+6 && s[r] == '\\' && s[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, getu4(s[r+2:])); dec != unicode.ReplacementChar {
							dst = utf8.AppendRune(dst, dec)
							r += 6
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, s[r])
			}
			r++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			dst = utf8.AppendRune(dst, rr)
			r += size
		}
	}
	return dst
}

// getu4 decodes four hex digits (validated by the scanner).
func getu4(s []byte) rune {
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

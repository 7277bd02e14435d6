package expr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

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

// lookup resolves the reference tokens against the JSON document data and
// returns the JSON text of the designated value. The whole document is
// read with the project's one JSON lexer (jsontext, as runtime/schema
// reads it) and validated: invalid JSON, invalid UTF-8 and a duplicate
// object member return a *JSONError, so an expression never picks one of
// two members that the validators could not tell apart.
func lookup(data []byte, tokens []string) (raw []byte, found bool, err error) {
	if !utf8.Valid(data) {
		return nil, false, &JSONError{Offset: invalidUTF8(data), Msg: "invalid UTF-8"}
	}
	d := jsontext.NewDecoder(bytes.NewBuffer(data))
	start, end, found, err := resolve(d, tokens)
	if err != nil {
		return nil, false, jsonError(err, d)
	}
	if off := int(d.InputOffset()); !isBlank(data[off:]) {
		for data[off] == ' ' || data[off] == '\t' || data[off] == '\n' || data[off] == '\r' {
			off++
		}
		return nil, false, &JSONError{Offset: off, Msg: "unexpected data after the top-level value"}
	}
	if !found {
		return nil, false, nil
	}
	return data[start:end], true, nil
}

// resolve reads, and fully validates, the next value of d and returns the
// span of the value the tokens designate inside it.
func resolve(d *jsontext.Decoder, tokens []string) (start, end int64, found bool, err error) {
	if len(tokens) == 0 {
		v, err := d.ReadValue()
		if err != nil {
			return 0, 0, false, err
		}
		end = d.InputOffset()
		return end - int64(len(v)), end, true, nil
	}
	switch d.PeekKind() {
	case '{':
		if _, err := d.ReadToken(); err != nil {
			return 0, 0, false, err
		}
		for d.PeekKind() != '}' {
			name, err := d.ReadToken()
			if err != nil {
				return 0, 0, false, err
			}
			if !found && name.String() == tokens[0] {
				if start, end, found, err = resolve(d, tokens[1:]); err != nil {
					return 0, 0, false, err
				}
				continue
			}
			if err := d.SkipValue(); err != nil {
				return 0, 0, false, err
			}
		}
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return 0, 0, false, err
		}
		want := arrayIndex(tokens[0])
		for i := 0; d.PeekKind() != ']'; i++ {
			if i == want {
				if start, end, found, err = resolve(d, tokens[1:]); err != nil {
					return 0, 0, false, err
				}
				continue
			}
			if err := d.SkipValue(); err != nil {
				return 0, 0, false, err
			}
		}
	default:
		// A scalar has no members: validate it, designate nothing.
		return 0, 0, false, d.SkipValue()
	}
	if _, err := d.ReadToken(); err != nil { // the closing delimiter
		return 0, 0, false, err
	}
	return start, end, found, nil
}

// documentValue resolves the reference tokens against doc, a body already
// parsed by runtime/schema (the tree its validators checked, read by the
// same lexer as lookup). ok is false when the designated value is an object
// or an array, whose JSON text only the body has: the caller then looks it
// up in the body.
func documentValue(doc any, tokens []string) (v Value, found, ok bool) {
	for _, tok := range tokens {
		switch x := doc.(type) {
		case map[string]any:
			if doc, found = x[tok]; !found {
				return Value{}, false, true
			}
		case []any:
			i := arrayIndex(tok)
			if i < 0 || i >= len(x) {
				return Value{}, false, true
			}
			doc = x[i]
		default:
			return Value{}, false, true
		}
	}
	switch x := doc.(type) {
	case string:
		return stringValue(x), true, true
	case json.Number:
		return Value{kind: Number, raw: []byte(x)}, true, true
	case bool:
		if x {
			return Value{kind: Bool, raw: []byte("true")}, true, true
		}
		return Value{kind: Bool, raw: []byte("false")}, true, true
	case nil:
		return Value{kind: Null, raw: []byte("null")}, true, true
	}
	return Value{}, false, false
}

// jsonError turns a lexer error into a *JSONError with its byte offset.
func jsonError(err error, d *jsontext.Decoder) *JSONError {
	var se *jsontext.SyntacticError
	switch {
	case errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName):
		return &JSONError{Offset: int(se.ByteOffset), Msg: fmt.Sprintf("duplicate object member %q", se.JSONPointer.LastToken())}
	case errors.As(err, &se) && !errors.Is(se.Err, io.ErrUnexpectedEOF):
		return &JSONError{Offset: int(se.ByteOffset), Msg: strings.TrimPrefix(se.Err.Error(), "jsontext: ")}
	case errors.As(err, &se):
		return &JSONError{Offset: int(se.ByteOffset), Msg: "unexpected end of input"}
	}
	return &JSONError{Offset: int(d.InputOffset()), Msg: "unexpected end of input"}
}

// invalidUTF8 returns the offset of the first byte of b that is not part of
// a valid UTF-8 sequence.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
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

// unquote appends the decoded content of a JSON string (with its quotes)
// to dst; invalid UTF-8 becomes U+FFFD (lookup refuses it before that).
func unquote(dst, s []byte) []byte {
	out, _ := jsontext.AppendUnquote(dst, s)
	return out
}

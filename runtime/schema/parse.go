package schema

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

// Rules of the FieldErrors Parse reports for bytes that are not an
// acceptable JSON document.
const (
	// RuleSyntax: the body is not JSON (the message gives the byte offset).
	RuleSyntax = "syntax"
	// RuleUTF8: the body is not valid UTF-8 (the message gives the byte
	// offset of the first invalid byte). RFC 8259 §8.1 requires UTF-8.
	RuleUTF8 = "utf8"
	// RuleDuplicateKey: an object has two members with the same name (after
	// unescaping). Refused in strict and lenient mode alike, so the
	// validators and the typed value can never see different members.
	RuleDuplicateKey = "duplicateKey"
)

// parseError is a JSON document the parser refuses.
type parseError struct {
	off  int64
	ptr  string
	rule string
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.off) }

func (e *parseError) fieldError() *runtime.FieldError {
	return &runtime.FieldError{Pointer: e.ptr, Rule: e.rule, Message: e.Error()}
}

// parseJSON turns a JSON document into the generic value generated
// validators walk: map[string]any, []any, string, json.Number, bool and nil.
//
// It reads with the project's one JSON lexer, github.com/go-json-experiment/json's
// jsontext, with its default options: object member names must be unique
// (a duplicate is an error, never "last one wins"), strings must be valid
// UTF-8 and escapes must not produce lone surrogates. The typed value
// handlers get (Decode) is read by the same lexer with the same options, so
// the validators and the handler always see the same members.
func parseJSON(b []byte) (any, *parseError) {
	if !utf8.Valid(b) {
		return nil, &parseError{off: int64(invalidUTF8(b)), rule: RuleUTF8, msg: "invalid UTF-8"}
	}
	d := jsontext.NewDecoder(bytes.NewBuffer(b))
	v, err := readValue(d)
	if err != nil {
		return nil, lexError(err, d)
	}
	if off := int(d.InputOffset()); off < len(b) {
		for off < len(b) && (b[off] == ' ' || b[off] == '\t' || b[off] == '\n' || b[off] == '\r') {
			off++
		}
		if off < len(b) {
			return nil, &parseError{off: int64(off), rule: RuleSyntax, msg: "unexpected data after the JSON document"}
		}
	}
	return v, nil
}

// invalidUTF8 returns the offset of the first byte of b that is not part of
// a valid UTF-8 sequence.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// lexError turns a jsontext error into a *parseError with its byte offset
// and, for a duplicate member, the JSON pointer of the duplicate.
func lexError(err error, d *jsontext.Decoder) *parseError {
	var pe *parseError
	if errors.As(err, &pe) {
		return pe
	}
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
			return &parseError{off: d.InputOffset(), rule: RuleSyntax, msg: "unexpected end of input"}
		}
		return &parseError{off: d.InputOffset(), rule: RuleSyntax, msg: err.Error()}
	}
	if errors.Is(se.Err, jsontext.ErrDuplicateName) {
		return &parseError{off: se.ByteOffset, ptr: string(se.JSONPointer), rule: RuleDuplicateKey,
			msg: fmt.Sprintf("duplicate object member %q", se.JSONPointer.LastToken())}
	}
	msg := strings.TrimPrefix(se.Err.Error(), "jsontext: ")
	if errors.Is(se.Err, io.ErrUnexpectedEOF) {
		msg = "unexpected end of input"
	}
	return &parseError{off: se.ByteOffset, rule: RuleSyntax, msg: msg}
}

func readValue(d *jsontext.Decoder) (any, error) {
	switch d.PeekKind() {
	case '0':
		v, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		return json.Number(v), nil
	case '{':
		return readObject(d)
	case '[':
		return readArray(d)
	}
	t, err := d.ReadToken()
	if err != nil {
		return nil, err
	}
	switch t.Kind() {
	case '"':
		return t.String(), nil
	case 't', 'f':
		return t.Bool(), nil
	}
	return nil, nil // null
}

func readObject(d *jsontext.Decoder) (any, error) {
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	m := make(map[string]any)
	for d.PeekKind() != '}' {
		t, err := d.ReadToken()
		if err != nil {
			return nil, err
		}
		k := t.String()
		v, err := readValue(d)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	return m, nil
}

func readArray(d *jsontext.Decoder) (any, error) {
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	a := make([]any, 0, 4)
	for d.PeekKind() != ']' {
		v, err := readValue(d)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	if _, err := d.ReadToken(); err != nil {
		return nil, err
	}
	return a, nil
}

package schema

import (
	"errors"
	"fmt"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/hookgen/hookgen/runtime"
)

// ValidateFunc is the signature of a generated validator: it checks the
// generic value v found at JSON pointer p.
type ValidateFunc func(c *Checker, p string, v any)

// Check parses body and runs validate over it. It returns the findings as
// a *runtime.ValidationError (wrapping runtime.ErrInvalidPayload) when any
// hard finding was made, and the lenient-mode warnings either way.
func Check(body []byte, strict bool, validate ValidateFunc) ([]runtime.FieldError, error) {
	v, serr := Parse(body)
	if serr != nil {
		return nil, &runtime.ValidationError{Errors: []runtime.FieldError{*serr}}
	}
	return CheckValue(v, strict, validate)
}

// CheckValue runs validate over v, a document Parse returned.
func CheckValue(v any, strict bool, validate ValidateFunc) ([]runtime.FieldError, error) {
	c := Checker{Strict: strict}
	validate(&c, "", v)
	if c.Spent() {
		c.Fail("", "complexity", fmt.Sprintf("validating the payload needs more than %d branch evaluations", MaxBranchChecks))
	}
	if !c.OK() {
		return c.Warnings, &runtime.ValidationError{Errors: c.Errors}
	}
	return c.Warnings, nil
}

// Decode validates body with validate and, when it is valid, decodes it into
// a new T and returns it as the event name. Generated decoders call it once
// per delivery with the event's payload type.
//
// The typed value is decoded with the same lexer and options as the tree
// the validators walked (see Parse) and member names match struct fields
// exactly, never case-insensitively: a member "NOTIFICATIONID" next to
// "notificationId" is an unknown member, never the value of the field, so
// the handler gets exactly the members that were validated.
func Decode[T any](body []byte, strict bool, name string, validate ValidateFunc) (runtime.Event, error) {
	warnings, err := Check(body, strict, validate)
	if err != nil {
		return runtime.Event{}, err
	}
	p, err := Unmarshal[T](body)
	if err != nil {
		return runtime.Event{}, err
	}
	return runtime.Event{Name: name, Payload: p, Warnings: warnings}, nil
}

// DecodeDocument is Decode for a body already parsed: doc is
// Parse(body), which the validators walk; body is decoded into a new T by
// the same lexer with the same options.
func DecodeDocument[T any](doc any, body []byte, strict bool, name string, validate ValidateFunc) (runtime.Event, error) {
	warnings, err := CheckValue(doc, strict, validate)
	if err != nil {
		return runtime.Event{}, err
	}
	p, err := Unmarshal[T](body)
	if err != nil {
		return runtime.Event{}, err
	}
	return runtime.Event{Name: name, Payload: p, Warnings: warnings}, nil
}

// Unmarshal decodes a validated document into a new T with exact-case
// member names, unique members and strict UTF-8 (json v2's defaults), and
// unknown members ignored. A value the schema accepted but the Go type
// cannot hold (a number too large for int64) is a finding with rule "type"
// at its pointer.
func Unmarshal[T any](body []byte) (*T, error) {
	p := new(T)
	if err := jsonv2.Unmarshal(body, p); err != nil {
		ptr := ""
		var se *jsonv2.SemanticError
		var xe *jsontext.SyntacticError
		switch {
		case errors.As(err, &se):
			ptr = string(se.JSONPointer)
		case errors.As(err, &xe):
			ptr = string(xe.JSONPointer)
		}
		return nil, &runtime.ValidationError{Errors: []runtime.FieldError{{
			Pointer: ptr, Rule: "type", Message: "payload does not fit the generated type: " + err.Error(),
		}}}
	}
	return p, nil
}

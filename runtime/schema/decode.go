package schema

import (
	"encoding/json"
	"fmt"

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
func Decode[T any](body []byte, strict bool, name string, validate ValidateFunc) (runtime.Event, error) {
	warnings, err := Check(body, strict, validate)
	if err != nil {
		return runtime.Event{}, err
	}
	p := new(T)
	if err := json.Unmarshal(body, p); err != nil {
		// The schema accepted what the Go type cannot hold (for example a
		// number too large for int64): report it as a validation finding.
		return runtime.Event{}, &runtime.ValidationError{Errors: []runtime.FieldError{{
			Pointer: "", Rule: "type", Message: "payload does not fit the generated type: " + err.Error(),
		}}}
	}
	return runtime.Event{Name: name, Payload: p, Warnings: warnings}, nil
}

package expr

import (
	"math"
	"strconv"
)

// Kind is the kind of a [Value].
type Kind uint8

const (
	// Invalid is the kind of the zero Value (an expression that resolved to
	// nothing).
	Invalid Kind = iota
	// String values come from headers, query and path parameters, $method,
	// $url, $request.body, and JSON strings.
	String
	// Number is a JSON number.
	Number
	// Bool is a JSON true or false.
	Bool
	// Null is a JSON null.
	Null
	// Object is a JSON object.
	Object
	// Array is a JSON array.
	Array
)

// String returns the lower-case kind name ("string", "number", …).
func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Number:
		return "number"
	case Bool:
		return "bool"
	case Null:
		return "null"
	case Object:
		return "object"
	case Array:
		return "array"
	}
	return "invalid"
}

// Value is what an expression resolved to. The zero Value has kind Invalid.
// A Value taken from a JSON body refers to the body's bytes; do not retain it
// after the delivery completes (String returns a copy).
type Value struct {
	kind Kind
	s    string // text of non-JSON string values
	raw  []byte // JSON text of JSON values (strings with their quotes)
}

func stringValue(s string) Value { return Value{kind: String, s: s} }

// jsonValue wraps the JSON text of one valid value.
func jsonValue(raw []byte) Value {
	k := Number
	switch raw[0] {
	case '"':
		k = String
	case 't', 'f':
		k = Bool
	case 'n':
		k = Null
	case '{':
		k = Object
	case '[':
		k = Array
	}
	return Value{kind: k, raw: raw}
}

// Kind returns the kind of the value.
func (v Value) Kind() Kind { return v.kind }

// String returns the value as text: strings unquoted (JSON escapes decoded,
// invalid UTF-8 replaced by U+FFFD as encoding/json does), numbers as their
// literal JSON text ("1.50" stays "1.50"), "true", "false", "null", and
// objects and arrays as their JSON text exactly as received. The zero Value
// returns "".
func (v Value) String() string {
	if v.raw == nil {
		return v.s
	}
	if v.kind == String {
		return string(unquote(nil, v.raw))
	}
	return string(v.raw)
}

// Raw returns the JSON text of a value taken from a JSON body (strings with
// their quotes), and nil for values from elsewhere. The slice aliases the
// request body.
func (v Value) Raw() []byte { return v.raw }

// Int64 returns the value as an integer. It succeeds for JSON numbers with
// an integral value that fits in an int64 (1700000000000, 1e3, 2.0; above
// 2^53 only when written as a plain integer), and for strings holding a
// base-10 integer ("1700000000000", "-5"), which some senders use for
// timestamps.
func (v Value) Int64() (int64, bool) {
	switch v.kind {
	case Number:
		s := string(v.raw) // does not escape: no allocation
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case String:
		n, err := strconv.ParseInt(v.String(), 10, 64)
		return n, err == nil
	}
	return 0, false
}

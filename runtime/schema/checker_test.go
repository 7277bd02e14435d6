package schema_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime"
	"github.com/hookgen/hookgen/runtime/schema"
)

func TestPtr(t *testing.T) {
	assert.Equal(t, "/a~1b/c~0d", schema.Ptr(schema.Ptr("", "a/b"), "c~d"))
	assert.Equal(t, "/x/3", schema.Index("/x", 3))
}

func TestIsInteger(t *testing.T) {
	for n, want := range map[string]bool{"1": true, "-0": true, "1.0": true, "1e3": true, "1.5": false, "2.5e-1": false} {
		assert.Equal(t, want, schema.IsInteger(json.Number(n)), n)
	}
}

func TestSoftFindings(t *testing.T) {
	lenient := &schema.Checker{}
	lenient.EnumString("/state", "MUTED", "DEVIATING", "CRITICAL")
	assert.True(t, lenient.OK())
	assert.Len(t, lenient.Warnings, 1)
	lenient.Format("/id", "not-a-uuid", "uuid")
	assert.False(t, lenient.OK(), "formats are hard findings in lenient mode too")

	strict := &schema.Checker{Strict: true}
	strict.EnumString("/state", "MUTED", "DEVIATING", "CRITICAL")
	require.False(t, strict.OK())
	assert.Equal(t, runtime.FieldError{Pointer: "/state", Rule: "enum", Message: `value "MUTED" is not one of "DEVIATING", "CRITICAL"`}, strict.Errors[0])
}

func isString(c *schema.Checker, p string, v any) {
	if _, ok := v.(string); !ok {
		c.TypeError(p, v, "string")
	}
}

func isShort(c *schema.Checker, p string, v any) {
	if s, ok := v.(string); ok {
		c.Length(p, s, -1, 3)
	}
}

func TestOneOf(t *testing.T) {
	cases := []struct {
		v    any
		ok   bool
		rule string
	}{
		{"abcdef", true, ""},         // only isString
		{"ab", false, "oneOf"},       // both match
		{json.Number("1"), true, ""}, // only isShort (not a string: no length check)
	}
	for _, c := range cases {
		ch := &schema.Checker{}
		ch.OneOf("", c.v, isString, isShort)
		assert.Equal(t, c.ok, ch.OK(), "%v", c.v)
		if !c.ok {
			assert.Equal(t, c.rule, ch.Errors[0].Rule)
		}
	}
	ch := &schema.Checker{}
	ch.OneOf("/x", true, isString, isString)
	require.False(t, ch.OK())
	assert.Equal(t, "oneOf", ch.Errors[0].Rule)
	assert.Equal(t, "type", ch.Errors[1].Rule, "the closest alternative's findings are reported too")
}

func TestCheckSyntax(t *testing.T) {
	for _, body := range []string{`{"a":`, `{"a":1} x`, ``} {
		_, err := schema.Check([]byte(body), true, func(*schema.Checker, string, any) {})
		var ve *runtime.ValidationError
		require.True(t, errors.As(err, &ve), body)
		assert.Equal(t, "syntax", ve.Errors[0].Rule)
		assert.ErrorIs(t, err, runtime.ErrInvalidPayload)
	}
}

func TestDecodeTypeMismatch(t *testing.T) {
	type T struct {
		N int8 `json:"n"`
	}
	_, err := schema.Decode[T]([]byte(`{"n":1000}`), true, "E", func(*schema.Checker, string, any) {})
	assert.ErrorIs(t, err, runtime.ErrInvalidPayload)
	ev, err := schema.Decode[T]([]byte(`{"n":7}`), true, "E", func(*schema.Checker, string, any) {})
	require.NoError(t, err)
	assert.Equal(t, int8(7), ev.Payload.(*T).N)
	assert.Equal(t, "E", ev.Name)
}

func TestFormats(t *testing.T) {
	cases := map[string]map[string]bool{
		"uuid":      {"836f628c-1258-4500-b1c7-23884e00f439": true, "48d6ad30-f139-4f77-517f-36158d7b032b": false, "x": false},
		"date-time": {"2021-12-07T15:44:07.077397Z": true, "2019-02-01 01:39:40 UTC": false, "1990-02-31T15:59:59Z": false, "2016-12-31T23:59:60Z": true},
		"date":      {"2024-02-29": true, "2023-02-29": false},
		"ipv4":      {"192.168.1.1": true, "::1": false},
		"ipv6":      {"::1": true, "1.2.3.4": false},
		"email":     {"a@b.c": true, "nope": false},
		"uri":       {"https://x/y": true, "no scheme": false},
	}
	for f, vals := range cases {
		for v, want := range vals {
			assert.Equal(t, want, schema.FormatValid(v, f), "%s %q", f, v)
		}
	}
}

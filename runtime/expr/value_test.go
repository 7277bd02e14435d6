package expr

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValueInt64(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		v    Value
		want int64
		ok   bool
	}{
		{"integer", jsonValue([]byte("1702635356757")), 1702635356757, true},
		{"negative", jsonValue([]byte("-5")), -5, true},
		{"max int64", jsonValue([]byte("9223372036854775807")), 9223372036854775807, true},
		{"overflow", jsonValue([]byte("9223372036854775808")), 0, false},
		{"integral float", jsonValue([]byte("2.0")), 2, true},
		{"exponent", jsonValue([]byte("1e3")), 1000, true},
		{"fraction", jsonValue([]byte("1.5")), 0, false},
		{"huge float", jsonValue([]byte("1e300")), 0, false},
		{"json string", jsonValue([]byte(`"1700000000000"`)), 1700000000000, true},
		{"json string not a number", jsonValue([]byte(`"17a"`)), 0, false},
		{"plain string", stringValue("-12"), -12, true},
		{"bool", jsonValue([]byte("true")), 0, false},
		{"null", jsonValue([]byte("null")), 0, false},
		{"zero", Value{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := tt.v.Int64()
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, n)
		})
	}
}

func TestValueString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		kind Kind
		want string
	}{
		{`"plain"`, String, "plain"},
		{`"a\"b\\c\/d\b\f\n\r\t"`, String, "a\"b\\c/d\b\f\n\r\t"},
		{`"\u00e9\u2713"`, String, "é✓"},
		{`"\ud83d\ude00"`, String, "😀"},
		{`"\ud83d"`, String, "\uFFFD"},
		{`"\ud83dx"`, String, "\uFFFDx"},
		{`"\ud83d\u0041"`, String, "\uFFFDA"},
		{"\"\xff\"", String, "\uFFFD"},
		{`1.50`, Number, "1.50"},
		{`-0`, Number, "-0"},
		{`false`, Bool, "false"},
		{`null`, Null, "null"},
		{`{"a": 1}`, Object, `{"a": 1}`},
		{`[1, 2]`, Array, `[1, 2]`},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			v := jsonValue([]byte(tt.raw))
			assert.Equal(t, tt.kind, v.Kind())
			assert.Equal(t, tt.want, v.String())
			assert.Equal(t, tt.raw, string(v.Raw()))
		})
	}
	assert.Equal(t, "", Value{}.String())
	assert.Nil(t, stringValue("x").Raw())
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]string{Invalid: "invalid", String: "string", Number: "number", Bool: "bool", Null: "null", Object: "object", Array: "array", Kind(99): "invalid"} {
		assert.Equal(t, want, k.String())
	}
}

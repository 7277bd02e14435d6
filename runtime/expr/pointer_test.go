package expr

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgen/hookgen/runtime/schema"
)

func tokensOf(t testing.TB, pointer string) []string {
	t.Helper()
	tokens, perr := parsePointer(pointer)
	if perr != nil {
		t.Fatalf("pointer %q: %s", pointer, perr.msg)
	}
	return tokens
}

func TestLookup(t *testing.T) {
	t.Parallel()
	doc := `{
		"a": {"b": [10, {"c": "deep"}, [true]]},
		"a/b": 1, "m~n": 2, "": 3, " ": 4,
		"esc\u0061ped": "yes", "\ud83d\ude00": "emoji",
		"dup": {"x": 2},
		"num": -1.5e+10, "n": null, "e": {}, "arr": []
	}`
	tests := []struct {
		pointer string
		want    string // "" means not found
	}{
		{"", strings.TrimSpace(doc)},
		{"/a/b/0", "10"},
		{"/a/b/1/c", `"deep"`},
		{"/a/b/2/0", "true"},
		{"/a/b/3", ""},
		{"/a/b/-", ""},
		{"/a/b/01", ""},
		{"/a/b/1x", ""},
		{"/a/b/99999999999999999999", ""},
		{"/a~1b", "1"},
		{"/m~0n", "2"},
		{"/", "3"},
		{"/ ", "4"},
		{"/escaped", `"yes"`},
		{"/😀", `"emoji"`},
		{"/dup", `{"x": 2}`},
		{"/dup/x", "2"},
		{"/num", "-1.5e+10"},
		{"/n", "null"},
		{"/n/x", ""},
		{"/e", "{}"},
		{"/e/x", ""},
		{"/arr", "[]"},
		{"/arr/0", ""},
		{"/missing", ""},
		{"/a/c", ""},
	}
	for _, tt := range tests {
		t.Run(tt.pointer, func(t *testing.T) {
			raw, found, err := lookup([]byte(doc), tokensOf(t, tt.pointer))
			require.NoError(t, err)
			assert.Equal(t, tt.want != "", found)
			assert.Equal(t, tt.want, string(raw))
		})
	}
}

func TestLookupInvalidJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		doc    string
		offset int
	}{
		{"empty", "", 0},
		{"open object", `{`, 1},
		{"trailing comma", `{"a":1,}`, 6},
		{"missing colon", `{"a" 1}`, 5},
		{"unquoted key", `{a:1}`, 1},
		{"bad literal", `{"a":tru}`, 8},
		{"bad number", `{"a":01}`, 6},
		{"bad fraction", `[1.]`, 3},
		{"bad exponent", `[1e]`, 3},
		{"lone minus", `[-]`, 2},
		{"bad escape", `["\x"]`, 2},
		{"bad unicode escape", `["\u12g4"]`, 2},
		{"control char", "[\"a\nb\"]", 3},
		{"unterminated string", `["abc`, 5},
		{"trailing data", `{} {}`, 3},
		{"mismatched close", `[1}`, 2},
		{"garbage after the match", `{"a":1,"b":[1,2}`, 15},
		{"single quote", `['a']`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.False(t, json.Valid([]byte(tt.doc)), "test document must be invalid")
			_, found, err := lookup([]byte(tt.doc), tokensOf(t, "/a"))
			require.Error(t, err)
			assert.False(t, found)
			var je *JSONError
			require.ErrorAs(t, err, &je)
			assert.Equal(t, tt.offset, je.Offset, je.Error())
			assert.ErrorIs(t, err, ErrInvalidJSON)
		})
	}
}

// maxDepth is the lexer's nesting limit, the same as encoding/json's.
const maxDepth = 10000

// TestLookupRefusesWhatTheValidatorsRefuse: a duplicate member (in any
// spelling) or invalid UTF-8 is an error, never a choice of one member.
func TestLookupRefusesWhatTheValidatorsRefuse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		doc    string
		offset int
		msg    string
	}{
		{`{"a":1,"a":2}`, 7, `duplicate object member "a"`},
		{`{"b":{"a":1,"\u0061":2},"a":3}`, 12, `duplicate object member "a"`},
		{"{\"a\":\"\xff\"}", 6, "invalid UTF-8"},
		{`{"a":"\udc00"}`, 6, "surrogate"},
	} {
		_, _, err := lookup([]byte(tt.doc), tokensOf(t, "/a"))
		var je *JSONError
		require.ErrorAs(t, err, &je, tt.doc)
		assert.Equal(t, tt.offset, je.Offset, tt.doc)
		assert.Contains(t, je.Msg, tt.msg, tt.doc)
	}
}

func TestLookupDepth(t *testing.T) {
	t.Parallel()
	ok := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	_, _, err := lookup([]byte(ok), tokensOf(t, "/0/0"))
	require.NoError(t, err)
	tooDeep := "[" + ok + "]"
	_, _, err = lookup([]byte(tooDeep), tokensOf(t, "/0"))
	require.ErrorIs(t, err, ErrInvalidJSON)
	assert.Contains(t, err.Error(), "max depth")
	// encoding/json draws the line at the same depth.
	assert.True(t, json.Valid([]byte(ok)))
	assert.False(t, json.Valid([]byte(tooDeep)))
}

func TestLookupStackStatePayload(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("testdata/notification-open.json")
	require.NoError(t, err)
	tests := map[string]string{
		"/notificationId":            `"836f628c-1258-4500-b1c7-23884e00f439"`,
		"/event/triggeredTimeMs":     "1702635356757",
		"/event/type":                `"open"`,
		"/component/tags/14":         `"stackpack:kubernetes"`,
		"/metadata/team":             `"Team A"`,
		"/notificationConfiguration": "",
	}
	for p, want := range tests {
		raw, found, err := lookup(doc, tokensOf(t, p))
		require.NoError(t, err)
		assert.True(t, found, p)
		if want != "" {
			assert.Equal(t, want, string(raw), p)
		}
		assertAgreesWithReference(t, doc, p)
	}
}

// TestLookupAllocations bounds the cost of one lookup (the dynamic path's
// expressions; generated receivers read the typed value instead).
func TestLookupAllocations(t *testing.T) {
	doc, err := os.ReadFile("testdata/notification-open.json")
	require.NoError(t, err)
	tokens := tokensOf(t, "/metadata/team")
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := lookup(doc, tokens); err != nil {
			t.Fatal(err)
		}
	})
	assert.LessOrEqual(t, allocs, 24.0)
}

// referenceLookup resolves pointer over the generic tree the validators
// walk (runtime/schema.Parse), so lookup is checked to designate exactly
// the member the validators saw.
func referenceLookup(doc []byte, tokens []string) (v any, found bool, err error) {
	v, fe := schema.Parse(doc)
	if fe != nil {
		return nil, false, fe
	}
	for _, tok := range tokens {
		switch c := v.(type) {
		case map[string]any:
			if v, found = c[tok]; !found {
				return nil, false, nil
			}
		case []any:
			i := arrayIndex(tok)
			if i < 0 || i >= len(c) {
				return nil, false, nil
			}
			v = c[i]
		default:
			return nil, false, nil
		}
	}
	return v, true, nil
}

// assertAgreesWithReference checks lookup against referenceLookup.
func assertAgreesWithReference(t testing.TB, doc []byte, pointer string) {
	t.Helper()
	tokens, perr := parsePointer(pointer)
	if perr != nil {
		return
	}
	want, wantFound, wantErr := referenceLookup(doc, tokens)
	raw, found, err := lookup(doc, tokens)
	if wantErr != nil {
		if err == nil {
			t.Fatalf("doc %q pointer %q: reference fails (%v) but lookup succeeds", doc, pointer, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatalf("doc %q pointer %q: lookup fails on valid JSON: %v", doc, pointer, err)
	}
	if found != wantFound {
		t.Fatalf("doc %q pointer %q: found %v, reference %v", doc, pointer, found, wantFound)
	}
	if !found {
		return
	}
	v := jsonValue(raw)
	switch w := want.(type) {
	case string:
		if v.Kind() != String || v.String() != w {
			t.Fatalf("doc %q pointer %q: got %s %q, reference string %q", doc, pointer, v.Kind(), v.String(), w)
		}
	case json.Number:
		if v.Kind() != Number || v.String() != string(w) {
			t.Fatalf("doc %q pointer %q: got %s %q, reference number %q", doc, pointer, v.Kind(), v.String(), w)
		}
	case bool:
		if v.Kind() != Bool || v.String() != map[bool]string{true: "true", false: "false"}[w] {
			t.Fatalf("doc %q pointer %q: got %s %q, reference %v", doc, pointer, v.Kind(), v.String(), w)
		}
	case nil:
		if v.Kind() != Null {
			t.Fatalf("doc %q pointer %q: got %s, reference null", doc, pointer, v.Kind())
		}
	default:
		got, _, err := referenceLookup(raw, nil)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("doc %q pointer %q: got %s, reference %#v", doc, pointer, raw, want)
		}
	}
}

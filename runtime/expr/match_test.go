package expr

import (
	"testing"

	"github.com/hookgen/hookgen/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	sel := map[string][]string{
		"$request.body#/event_type": {"cube_built", "cube_failed"},
		"$request.body#/cube_id":    {"null", "c-1"},
	}
	m, err := ParseMatch(sel)
	require.NoError(t, err)
	tests := []struct {
		name string
		body string
		want bool
	}{
		{"both listed", `{"event_type":"cube_built","cube_id":"c-1"}`, true},
		{"json null matches null", `{"event_type":"cube_failed","cube_id":null}`, true},
		{"string null matches null", `{"event_type":"cube_failed","cube_id":"null"}`, true},
		{"other value", `{"event_type":"cube_deleted","cube_id":"c-1"}`, false},
		{"missing field matches null", `{"event_type":"cube_built"}`, true},
		{"missing field without null listed", `{"cube_id":"c-1"}`, false},
		{"wrong kind with same text", `{"event_type":"cube_built","cube_id":["c-1"]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := m.Eval(&runtime.Request{Body: []byte(tt.body)})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, "$request.body#/cube_id in [null c-1] && $request.body#/event_type in [cube_built cube_failed]", m.String())
}

func TestMatchDoesNotAliasInput(t *testing.T) {
	t.Parallel()
	vals := []string{"a"}
	m, err := ParseMatch(map[string][]string{"$method": vals})
	require.NoError(t, err)
	vals[0] = "POST"
	ok, err := m.Eval(&runtime.Request{Method: "POST"})
	require.NoError(t, err)
	assert.False(t, ok)
}

func TestMatchEmpty(t *testing.T) {
	t.Parallel()
	for _, m := range []Match{{}, mustMatch(t, nil), mustMatch(t, map[string][]string{})} {
		ok, err := m.Eval(&runtime.Request{})
		require.NoError(t, err)
		assert.True(t, ok)
	}
}

func TestParseMatchErrors(t *testing.T) {
	t.Parallel()
	_, err := ParseMatch(map[string][]string{"$request.bogus": {"x"}})
	require.ErrorIs(t, err, ErrSyntax)
	_, err = ParseMatch(map[string][]string{"$method": {}})
	require.ErrorIs(t, err, ErrSyntax)
	assert.Contains(t, err.Error(), "at least one")
}

func TestMatchInvalidJSON(t *testing.T) {
	t.Parallel()
	m := mustMatch(t, map[string][]string{"$request.body#/a": {"1"}})
	_, err := m.Eval(&runtime.Request{Body: []byte(`{"a":1`)})
	require.ErrorIs(t, err, ErrInvalidJSON)
}

func mustMatch(t *testing.T, sel map[string][]string) Match {
	t.Helper()
	m, err := ParseMatch(sel)
	require.NoError(t, err)
	return m
}

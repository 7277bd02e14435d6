package expr

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgen/hookgen/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestListKey(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxKeyLen)
	longSum := sha256.Sum256([]byte(long + ":y"))
	tests := []struct {
		name   string
		exprs  []string
		header string
		body   string
		want   string
	}{
		{"single", []string{"$request.body#/id"}, "", `{"id":"n-1"}`, "n-1"},
		{"number literal", []string{"$request.body#/id"}, "", `{"id":1.50}`, "1.50"},
		{"two components", []string{"$request.header.X-Id", "$request.body#/id"}, "abc", `{"id":42}`, "abc:42"},
		{"missing component is empty", []string{"$request.header.X-Id", "$request.body#/id"}, "a:b", `{}`, "a%3Ab:"},
		{"leading missing component", []string{"$request.body#/id", "$request.header.X-Id"}, "h", `{}`, ":h"},
		{"nothing resolves", []string{"$request.header.X-Id", "$request.body#/id"}, "", `{}`, ""},
		{"empty list", nil, "h", `{}`, ""},
		{"escapes percent and colon", []string{"$request.body#/id"}, "", `{"id":"50%:x"}`, "50%25%3Ax"},
		{"escapes control bytes", []string{"$request.body#/id"}, "", `{"id":"a\u0000b\tc\u007f"}`, "a%00b%09c%7F"},
		{"keeps UTF-8", []string{"$request.body#/id"}, "", `{"id":"é✓"}`, "é✓"},
		{"null", []string{"$request.body#/id"}, "", `{"id":null}`, "null"},
		{"exactly max length", []string{"$request.body#/id"}, "", `{"id":"` + long + `"}`, long},
		{"over max length is hashed", []string{"$request.body#/id", "$request.header.X-Id"}, "y", `{"id":"` + long + `"}`, "sha256:" + hex.EncodeToString(longSum[:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := ParseList(tt.exprs)
			require.NoError(t, err)
			req := &runtime.Request{Header: http.Header{}, Body: []byte(tt.body)}
			if tt.header != "" {
				req.Header.Set("X-Id", tt.header)
			}
			got, err := l.Key(req)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestListKeyEscapesInvalidUTF8(t *testing.T) {
	t.Parallel()
	l, err := ParseList([]string{"$request.query.q"})
	require.NoError(t, err)
	got, err := l.Key(&runtime.Request{Query: map[string][]string{"q": {"a\xffb"}}})
	require.NoError(t, err)
	assert.Equal(t, "a%FFb", got)
}

func TestListKeyInvalidJSON(t *testing.T) {
	t.Parallel()
	l, err := ParseList([]string{"$request.header.X-Id", "$request.body#/id"})
	require.NoError(t, err)
	_, err = l.Key(&runtime.Request{Body: []byte(`{"id":`)})
	require.ErrorIs(t, err, ErrInvalidJSON)
	assert.Contains(t, err.Error(), "component 1 ($request.body#/id)")
}

func TestParseList(t *testing.T) {
	t.Parallel()
	l, err := ParseList([]string{"$method", "$request.body#/a"})
	require.NoError(t, err)
	assert.Equal(t, []string{"$method", "$request.body#/a"}, l.Strings())

	_, err = ParseList([]string{"$method", "$request.bogus"})
	require.ErrorIs(t, err, ErrSyntax)
	assert.Contains(t, err.Error(), "expression 1")
}

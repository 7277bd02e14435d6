package expr

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"testing"

	"github.com/hookgen/hookgen/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		src    source
		name   string
		tokens []string
	}{
		{"$method", srcMethod, "", nil},
		{"$url", srcURL, "", nil},
		{"$request.header.X-StackState-Webhook-Token", srcHeader, "X-Stackstate-Webhook-Token", nil},
		{"$request.header.x-id", srcHeader, "X-Id", nil},
		{"$request.header.!#$%&'*+-.^_`|~", srcHeader, "!#$%&'*+-.^_`|~", nil},
		{"$request.query.executionId", srcQuery, "executionId", nil},
		{"$request.query.a b[]", srcQuery, "a b[]", nil},
		{"$request.path.id", srcPath, "id", nil},
		{"$request.body", srcBodyHash, "", nil},
		{"$request.body#", srcBodyPointer, "", nil},
		{"$request.body#/notificationId", srcBodyPointer, "", []string{"notificationId"}},
		{"$request.body#/a/0/b", srcBodyPointer, "", []string{"a", "0", "b"}},
		{"$request.body#/", srcBodyPointer, "", []string{""}},
		{"$request.body#//", srcBodyPointer, "", []string{"", ""}},
		{"$request.body#/a~1b/m~0n/~01", srcBodyPointer, "", []string{"a/b", "m~n", "~1"}},
		{"$request.body#/é/✓", srcBodyPointer, "", []string{"é", "✓"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			e, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.src, e.src)
			assert.Equal(t, tt.name, e.name)
			assert.Equal(t, tt.tokens, e.tokens)
			assert.Equal(t, tt.in, e.String())
			assert.False(t, e.IsZero())
		})
	}
}

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "empty expression"},
		{"method", 0, "must start with '$'"},
		{"$methods", 7, "unexpected text after $method"},
		{"$url/x", 4, "unexpected text after $url"},
		{"$statusCode", 0, "response expressions"},
		{"$response.body#/a", 0, "response expressions"},
		{"$request", 8, "missing source"},
		{"$requests.body", 0, "unknown expression"},
		{"$request.heder.X", 9, "unknown request source"},
		{"$request.header.", 16, "empty header name"},
		{"$request.header.X Id", 17, "invalid character ' ' in header name"},
		{"$request.header.X:Id", 17, "invalid character ':'"},
		{"$request.query.", 15, "empty query parameter name"},
		{"$request.query.a\nb", 16, "invalid character '\\n' in query parameter name"},
		{"$request.query.\xff", 15, "not valid UTF-8"},
		{"$request.path.", 14, "empty path parameter name"},
		{"$request.bodyx", 13, "unexpected text after $request.body"},
		{"$request.body#a", 14, "must be empty or start with '/'"},
		{"$request.body#/a~2", 16, "invalid escape"},
		{"$request.body#/a~", 16, "invalid escape"},
		{"$request.body#/\xff", 14, "not valid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			require.Error(t, err)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.offset, se.Offset, se.Error())
			assert.Contains(t, se.Msg, tt.msg)
			assert.ErrorIs(t, err, ErrSyntax)
			assert.ErrorIs(t, err, runtime.ErrConfig)
			assert.Contains(t, err.Error(), "offset")
		})
	}
}

func TestParseErrorNamesAllowedForms(t *testing.T) {
	t.Parallel()
	_, err := Parse("$foo")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "$request.body#<json-pointer>")
}

func TestMustParse(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "$method", MustParse("$method").String())
	assert.Panics(t, func() { MustParse("$nope") })
}

func newRequest(body string) *runtime.Request {
	return &runtime.Request{
		Method: "POST",
		Path:   "/hooks/stackstate",
		Header: http.Header{
			"X-Stackstate-Webhook-Token": {"tok-1", "tok-2"},
			"Content-Type":               {"application/json"},
			"Empty":                      {""},
		},
		Query:      url.Values{"executionId": {"e-1", "e-2"}, "b": {"x y"}},
		PathParams: map[string]string{"id": "42"},
		Body:       []byte(body),
		Raw:        []byte(body),
	}
}

func TestEval(t *testing.T) {
	t.Parallel()
	body := `{"notificationId":"n-1","event":{"triggeredTimeMs":1702635356757,"ok":true,"none":null,"tags":["a","b"]}}`
	sum := sha256.Sum256([]byte(body))
	tests := []struct {
		expr string
		ok   bool
		kind Kind
		want string
	}{
		{"$method", true, String, "POST"},
		{"$url", true, String, "/hooks/stackstate?b=x+y&executionId=e-1&executionId=e-2"},
		{"$request.header.X-StackState-Webhook-Token", true, String, "tok-1"},
		{"$request.header.x-stackstate-webhook-token", true, String, "tok-1"},
		{"$request.header.Empty", true, String, ""},
		{"$request.header.X-Missing", false, Invalid, ""},
		{"$request.query.executionId", true, String, "e-1"},
		{"$request.query.executionid", false, Invalid, ""},
		{"$request.path.id", true, String, "42"},
		{"$request.path.other", false, Invalid, ""},
		{"$request.body", true, String, "sha256:" + hex.EncodeToString(sum[:])},
		{"$request.body#/notificationId", true, String, "n-1"},
		{"$request.body#/event/triggeredTimeMs", true, Number, "1702635356757"},
		{"$request.body#/event/ok", true, Bool, "true"},
		{"$request.body#/event/none", true, Null, "null"},
		{"$request.body#/event/tags", true, Array, `["a","b"]`},
		{"$request.body#/event/tags/1", true, String, "b"},
		{"$request.body#/event/tags/2", false, Invalid, ""},
		{"$request.body#/event/missing", false, Invalid, ""},
		{"$request.body#/notificationId/x", false, Invalid, ""},
	}
	req := newRequest(body)
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			v, ok, err := MustParse(tt.expr).Eval(req)
			require.NoError(t, err)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.kind, v.Kind())
			assert.Equal(t, tt.want, v.String())
		})
	}
}

func TestEvalNonCanonicalHeaderKey(t *testing.T) {
	t.Parallel()
	req := &runtime.Request{Header: http.Header{"x-stackstate-webhook-token": {"t"}}}
	v, ok, err := MustParse("$request.header.X-StackState-Webhook-Token").Eval(req)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "t", v.String())
}

func TestEvalBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		expr    string
		ok      bool
		wantErr bool
	}{
		{"empty body pointer", "", "$request.body#/a", false, false},
		{"blank body pointer", " \n\t", "$request.body#/a", false, false},
		{"empty body hash", "", "$request.body", false, false},
		{"invalid json", `{"a":1,}`, "$request.body#/a", false, true},
		{"trailing garbage", `{"a":1} x`, "$request.body#/a", false, true},
		{"garbage after match", `{"a":1,"b":tru}`, "$request.body#/a", false, true},
		{"invalid json hashed as is", `{`, "$request.body", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ok, err := MustParse(tt.expr).Eval(&runtime.Request{Body: []byte(tt.body)})
			assert.Equal(t, tt.ok, ok)
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrInvalidJSON)
				assert.ErrorIs(t, err, runtime.ErrInvalidPayload)
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestEvalMisuse(t *testing.T) {
	t.Parallel()
	_, _, err := Expr{}.Eval(&runtime.Request{})
	require.Error(t, err)
	_, _, err = MustParse("$method").Eval(nil)
	require.Error(t, err)
	assert.True(t, Expr{}.IsZero())
}

func TestEvalURLWithoutQuery(t *testing.T) {
	t.Parallel()
	v, ok, err := MustParse("$url").Eval(&runtime.Request{Path: "/a"})
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "/a", v.String())
}

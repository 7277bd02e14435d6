package auth

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hookgen/hookgen/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// captureHandler records every slog record, with its attributes.
type captureHandler struct{ buf *bytes.Buffer }

func (h captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.buf.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { h.buf.WriteString(" " + a.String()); return true })
	return nil
}
func (h captureHandler) WithAttrs(as []slog.Attr) slog.Handler {
	for _, a := range as {
		h.buf.WriteString(" " + a.String())
	}
	return h
}
func (h captureHandler) WithGroup(string) slog.Handler { return h }

// sensitive lists what must never appear in an error or a log line: the
// secrets (and their parts), and every credential value on the request.
func sensitive(f fixture, req *runtime.Request) []string {
	var out []string
	add := func(s string) {
		for _, line := range strings.Split(s, "\n") {
			if len(line) >= 4 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
		if user, pass, ok := strings.Cut(s, ":"); ok && len(pass) >= 4 && len(user) >= 4 {
			out = append(out, pass)
		}
	}
	for _, s := range append(append(append([]string{}, f.secrets...), f.signers...), f.wrong) {
		add(s)
	}
	for k, vs := range req.Header {
		if k == "Content-Type" {
			continue
		}
		for _, v := range vs {
			add(v)
		}
	}
	for _, vs := range req.Query {
		for _, v := range vs {
			add(v)
		}
	}
	return out
}

// TestNoSecretLeaks runs every failure case and checks that neither a
// secret nor a presented credential shows up in an error or in anything
// logged through log/slog or the log package. Not parallel: it swaps the
// process-wide loggers.
func TestNoSecretLeaks(t *testing.T) {
	var logs bytes.Buffer
	prevSlog := slog.Default()
	slog.SetDefault(slog.New(captureHandler{&logs}))
	log.SetOutput(&logs)
	t.Cleanup(func() {
		slog.SetDefault(prevSlog)
		log.SetOutput(os.Stderr)
	})

	checked := 0
	for _, f := range fixtures(t) {
		a, err := New(familyFor(f.scheme), Secrets{f.scheme.Name: f.secrets}, WithClock(fixedClock))
		require.NoError(t, err)
		for _, c := range f.cases(t) {
			if c.want == nil {
				continue
			}
			err := a.Authenticate(c.req)
			require.Error(t, err, f.name+"/"+c.name)
			for _, s := range sensitive(f, c.req) {
				assert.NotContains(t, err.Error(), s, "%s/%s", f.name, c.name)
			}
			checked++
		}
		// Signing with a malformed secret fails without echoing it.
		bad := "LEAK-9f8e7d6c\n\"not a valid secret\";"
		r, _ := http.NewRequest(http.MethodPost, "http://example.invalid/", nil)
		if err := Sign(r, nil, f.scheme, bad, testNow); err != nil {
			assert.NotContains(t, err.Error(), "LEAK-9f8e7d6c", f.name)
		}
		if _, err := New(familyFor(f.scheme), Secrets{f.scheme.Name: {bad}}); err != nil {
			assert.NotContains(t, err.Error(), "LEAK-9f8e7d6c", f.name)
		}
	}
	assert.Greater(t, checked, 40)
	assert.Empty(t, logs.String(), "the package must not log")
}

func TestSignRefuses(t *testing.T) {
	t.Parallel()
	keys := rsaKeys()
	const secret = "S3CR3T-VALUE-never-print"
	rsa := runtime.SecurityScheme{Name: "R", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "rsa-sha1"}}
	tests := []struct {
		name   string
		scheme runtime.SecurityScheme
		secret string
		msg    string
	}{
		{"empty secret", runtime.SecurityScheme{Name: "B", Kind: runtime.Bearer}, "", "empty secret"},
		{"basic without colon", runtime.SecurityScheme{Name: "B", Kind: runtime.Basic}, secret, `not "user:password"`},
		{"cookie with bad byte", runtime.SecurityScheme{Name: "C", Kind: runtime.APIKey, In: "cookie", Param: "c"}, secret + ";", "not allowed in a cookie"},
		{"apikey bad location", runtime.SecurityScheme{Name: "K", Kind: runtime.APIKey, In: "body", Param: "c"}, secret, "not header, query or cookie"},
		{"apikey without param", runtime.SecurityScheme{Name: "K", Kind: runtime.APIKey, In: "header"}, secret, "without a parameter name"},
		{"unknown kind", runtime.SecurityScheme{Name: "K"}, secret, "unknown scheme kind"},
		{"rsa with public key", rsa, keys.pub1, "unexpected PEM block type"},
		{"rsa with garbage", rsa, secret, "no PEM private key"},
		{"rsa with bad PKCS8", rsa, "-----BEGIN PRIVATE KEY-----\nU0VDUkVU\n-----END PRIVATE KEY-----\n", "bad PRIVATE KEY"},
		{"rsa with bad PKCS1", rsa, "-----BEGIN RSA PRIVATE KEY-----\nU0VDUkVU\n-----END RSA PRIVATE KEY-----\n", "bad RSA PRIVATE KEY"},
		{"bad whsec", runtime.SecurityScheme{Name: "S", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "standard-webhooks"}}, "whsec_" + secret, "not valid base64"},
		{"unsupported format", runtime.SecurityScheme{Name: "S", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "x"}}, secret, "unsupported signature format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodPost, "http://example.invalid/", nil)
			require.NoError(t, err)
			err = Sign(r, []byte(testBody), tt.scheme, tt.secret, testNow)
			require.ErrorIs(t, err, runtime.ErrConfig)
			assert.Contains(t, err.Error(), tt.msg)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "U0VDUkVU")
		})
	}
	require.ErrorIs(t, Sign(nil, nil, runtime.SecurityScheme{Kind: runtime.Bearer}, "x", testNow), runtime.ErrConfig)
	require.ErrorIs(t, Sign(&http.Request{}, nil, runtime.SecurityScheme{Kind: runtime.APIKey, In: "query", Param: "q"}, "x", testNow), runtime.ErrConfig)
}

func TestSignSetsHeaders(t *testing.T) {
	t.Parallel()
	r := &http.Request{} // nil Header is initialised
	sw := runtime.SecurityScheme{Name: "S", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "standard-webhooks"}}
	require.NoError(t, Sign(r, []byte("{}"), sw, whsec("k"), testNow))
	assert.Regexp(t, `^msg_[0-9a-f]{32}$`, r.Header.Get("Webhook-Id"))
	assert.Equal(t, "1772366400", r.Header.Get("Webhook-Timestamp"))
	assert.Regexp(t, `^v1,[A-Za-z0-9+/]{43}=$`, r.Header.Get("Webhook-Signature"))

	// The id is stable for the same message and second, and kept when set.
	r2 := &http.Request{Header: http.Header{}}
	require.NoError(t, Sign(r2, []byte("{}"), sw, whsec("k"), testNow))
	assert.Equal(t, r.Header.Get("Webhook-Id"), r2.Header.Get("Webhook-Id"))
	r3 := &http.Request{Header: http.Header{"Webhook-Id": {"msg_mine"}}}
	require.NoError(t, Sign(r3, []byte("{}"), sw, whsec("k"), testNow))
	assert.Equal(t, "msg_mine", r3.Header.Get("Webhook-Id"))

	_, _, err := GenerateRSAKeyPair(512)
	require.ErrorIs(t, err, runtime.ErrConfig)
}

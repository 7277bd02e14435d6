package auth

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgen/hookgen/runtime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return testNow }

// RSA keys are slow to generate: make them once for the whole package.
var rsaKeys = sync.OnceValue(func() (k struct{ priv1, pub1, priv2, pub2, privWrong, pubWrong string }) {
	gen := func() (string, string) {
		priv, pub, err := GenerateRSAKeyPair(2048)
		if err != nil {
			panic(err)
		}
		return string(priv), string(pub)
	}
	k.priv1, k.pub1 = gen()
	k.priv2, k.pub2 = gen()
	k.privWrong, k.pubWrong = gen()
	return k
})

func whsec(key string) string { return "whsec_" + base64.StdEncoding.EncodeToString([]byte(key)) }

// fixture is one scheme with two valid secrets (rotation) and a wrong one.
type fixture struct {
	name        string
	scheme      runtime.SecurityScheme
	secrets     []string // configured
	signers     []string // what Sign takes for secrets[i]
	wrong       string   // a signing secret that is not configured
	strip       func(r *http.Request)
	signed      bool                                    // the body is signed
	timestamped bool                                    // a replay window applies
	merge       func(valid, invalid *http.Request) bool // put invalid's signature next to valid's
}

func fixtures(t *testing.T) []fixture {
	t.Helper()
	keys := rsaKeys()
	delHeader := func(h string) func(r *http.Request) { return func(r *http.Request) { r.Header.Del(h) } }
	sig := func(f runtime.SignatureSpec) runtime.SecurityScheme {
		return runtime.SecurityScheme{Name: "Sig", Kind: runtime.Signature, Signature: &f}
	}
	return []fixture{
		{
			name:    "apikey header (StackState)",
			scheme:  runtime.SecurityScheme{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-StackState-Webhook-Token"},
			secrets: []string{"tok-old", "tok-new"}, wrong: "tok-bad",
			strip: delHeader("X-StackState-Webhook-Token"),
		},
		{
			name:    "apikey query",
			scheme:  runtime.SecurityScheme{Name: "Q", Kind: runtime.APIKey, In: "query", Param: "token"},
			secrets: []string{"q-old", "q-new"}, wrong: "q-bad",
			strip: func(r *http.Request) { r.URL.RawQuery = "" },
		},
		{
			name:    "apikey cookie",
			scheme:  runtime.SecurityScheme{Name: "C", Kind: runtime.APIKey, In: "cookie", Param: "session"},
			secrets: []string{"c-old", "c-new"}, wrong: "c-bad",
			strip: delHeader("Cookie"),
		},
		{
			name:    "basic (NetPulse)",
			scheme:  runtime.SecurityScheme{Name: "Basic", Kind: runtime.Basic},
			secrets: []string{"alice:pw-old", "alice:pw:new"}, wrong: "alice:pw-bad",
			strip: delHeader("Authorization"),
		},
		{
			name:    "bearer (NetPulse)",
			scheme:  runtime.SecurityScheme{Name: "Bearer", Kind: runtime.Bearer},
			secrets: []string{"b-old", "b-new"}, wrong: "b-bad",
			strip: delHeader("Authorization"),
		},
		{
			name:    "standard webhooks",
			scheme:  sig(runtime.SignatureSpec{Format: "standard-webhooks"}),
			secrets: []string{whsec("key-old"), whsec("key-new")}, wrong: whsec("key-bad"),
			strip: delHeader("Webhook-Signature"), signed: true, timestamped: true,
			merge: func(valid, invalid *http.Request) bool {
				valid.Header.Set("Webhook-Signature", "v2,AAAA "+invalid.Header.Get("Webhook-Signature")+"  "+valid.Header.Get("Webhook-Signature"))
				return true
			},
		},
		{
			name:    "standard webhooks raw key, custom headers",
			scheme:  sig(runtime.SignatureSpec{Format: "standard-webhooks", Header: "svix-signature", IDHeader: "svix-id", TimestampHeader: "svix-timestamp"}),
			secrets: []string{"raw-old", "raw-new"}, wrong: "raw-bad",
			strip: delHeader("Svix-Signature"), signed: true, timestamped: true,
		},
		{
			name:    "github",
			scheme:  sig(runtime.SignatureSpec{Format: "github"}),
			secrets: []string{"gh-old", "gh-new"}, wrong: "gh-bad",
			strip: delHeader("X-Hub-Signature-256"), signed: true,
		},
		{
			name:    "github sha1",
			scheme:  sig(runtime.SignatureSpec{Format: "github", Algorithm: "hmac-sha1"}),
			secrets: []string{"gh-old", "gh-new"}, wrong: "gh-bad",
			strip: delHeader("X-Hub-Signature"), signed: true,
		},
		{
			name:    "stripe",
			scheme:  sig(runtime.SignatureSpec{Format: "stripe"}),
			secrets: []string{"whsec_stripe-old", "whsec_stripe-new"}, wrong: "whsec_stripe-bad",
			strip: delHeader("Stripe-Signature"), signed: true, timestamped: true,
			merge: func(valid, invalid *http.Request) bool {
				_, bad, _ := strings.Cut(invalid.Header.Get("Stripe-Signature"), ",")
				valid.Header.Set("Stripe-Signature", strings.Replace(valid.Header.Get("Stripe-Signature"), ",", ","+bad+",v0=zz,", 1))
				return true
			},
		},
		{
			name:    "generic hmac sha512 base64 prefix",
			scheme:  sig(runtime.SignatureSpec{Format: "hmac", Header: "X-Signature", Algorithm: "hmac-sha512", Encoding: "base64", Prefix: "sig="}),
			secrets: []string{"h-old", "h-new"}, wrong: "h-bad",
			strip: delHeader("X-Signature"), signed: true,
		},
		{
			name:    "generic hmac header from Param",
			scheme:  runtime.SecurityScheme{Name: "Sig", Kind: runtime.Signature, Param: "X-Sig", Signature: &runtime.SignatureSpec{Format: "hmac"}},
			secrets: []string{"h-old", "h-new"}, wrong: "h-bad",
			strip: delHeader("X-Sig"), signed: true,
		},
		{
			name:    "rsa-sha1 (CenturyLink Tier3-RsaSha1)",
			scheme:  sig(runtime.SignatureSpec{Format: "rsa-sha1"}),
			secrets: []string{keys.pub1, keys.pub2}, signers: []string{keys.priv1, keys.priv2}, wrong: keys.privWrong,
			strip: delHeader("Tier3-RsaSha1"), signed: true,
		},
		{
			name:    "rsa-sha256 two keys in one PEM secret",
			scheme:  sig(runtime.SignatureSpec{Format: "rsa-sha1", Algorithm: "rsa-sha256", Header: "X-Rsa-Signature", Encoding: "hex"}),
			secrets: []string{keys.pub1 + keys.pub2}, signers: []string{keys.priv1, keys.priv2}, wrong: keys.privWrong,
			strip: delHeader("X-Rsa-Signature"), signed: true,
		},
	}
}

func familyFor(s runtime.SecurityScheme) *runtime.Family {
	return &runtime.Family{
		Name:     "test",
		Security: []runtime.SecurityRequirement{{s.Name}},
		Schemes:  map[string]runtime.SecurityScheme{s.Name: s},
	}
}

const testBody = `{"notificationId":"n-1","event":{"type":"open"}}`

// signed builds a request carrying body, signed with secret at time at.
func signed(t *testing.T, s runtime.SecurityScheme, secret, body string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hooks/test", strings.NewReader(body))
	r.Header.Set("Webhook-Id", "msg_fixed")
	require.NoError(t, Sign(r, []byte(body), s, secret, at))
	return r
}

func toRuntime(r *http.Request, body string) *runtime.Request {
	return &runtime.Request{
		Method: r.Method, Path: r.URL.Path, Header: r.Header, Query: r.URL.Query(),
		Raw: []byte(body), Body: []byte(body), ReceivedAt: testNow,
	}
}

type authCase struct {
	name string
	req  *runtime.Request
	want error // nil, or the Reason sentinel
}

// cases derives the standard cases of a fixture.
func (f fixture) cases(t *testing.T) []authCase {
	t.Helper()
	signer := func(i int) string {
		if f.signers != nil {
			return f.signers[i]
		}
		return f.secrets[i]
	}
	at := func(at time.Time, secret string) *runtime.Request {
		return toRuntime(signed(t, f.scheme, secret, testBody, at), testBody)
	}
	stripped := signed(t, f.scheme, signer(0), testBody, testNow)
	f.strip(stripped)
	cs := []authCase{
		{"valid", at(testNow, signer(0)), nil},
		{"rotation: second secret valid", at(testNow, signer(1)), nil},
		{"wrong secret", at(testNow, f.wrong), ErrMismatch},
		{"missing credential", toRuntime(stripped, testBody), ErrMissingCredential},
	}
	if f.signed {
		r := signed(t, f.scheme, signer(0), testBody, testNow)
		cs = append(cs, authCase{"tampered body", toRuntime(r, strings.Replace(testBody, "open", "close", 1)), ErrMismatch})
	}
	if f.timestamped {
		cs = append(cs,
			authCase{"expired timestamp", at(testNow.Add(-DefaultTolerance-time.Second), signer(0)), ErrTimestamp},
			authCase{"future timestamp", at(testNow.Add(DefaultTolerance+time.Second), signer(0)), ErrTimestamp},
			authCase{"old but within tolerance", at(testNow.Add(-DefaultTolerance+time.Second), signer(0)), nil},
			authCase{"ahead but within tolerance", at(testNow.Add(DefaultTolerance-time.Second), signer(0)), nil},
		)
	}
	if f.merge != nil {
		valid := signed(t, f.scheme, signer(1), testBody, testNow)
		f.merge(valid, signed(t, f.scheme, f.wrong, testBody, testNow))
		cs = append(cs, authCase{"several signatures, one valid", toRuntime(valid, testBody), nil})
		invalid := signed(t, f.scheme, f.wrong, testBody, testNow)
		f.merge(invalid, signed(t, f.scheme, f.wrong, testBody, testNow.Add(-time.Second)))
		cs = append(cs, authCase{"several signatures, none valid", toRuntime(invalid, testBody), ErrMismatch})
	}
	return cs
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures(t) {
		a, err := New(familyFor(f.scheme), Secrets{f.scheme.Name: f.secrets}, WithClock(fixedClock))
		require.NoError(t, err, f.name)
		require.True(t, a.Enforced())
		for _, c := range f.cases(t) {
			t.Run(f.name+"/"+c.name, func(t *testing.T) {
				err := a.Authenticate(c.req)
				if c.want == nil {
					require.NoError(t, err)
					return
				}
				require.Error(t, err)
				assert.ErrorIs(t, err, runtime.ErrUnauthorized)
				assert.ErrorIs(t, err, c.want)
				var ae *Error
				require.ErrorAs(t, err, &ae)
				require.Len(t, ae.Failures, 1)
				assert.Equal(t, f.scheme.Name, ae.Failures[0].Scheme)
				assert.Contains(t, err.Error(), f.scheme.Name+": ")
			})
		}
	}
}

func TestAuthenticateSpecificFailures(t *testing.T) {
	t.Parallel()
	sw := runtime.SecurityScheme{Name: "SW", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "standard-webhooks"}}
	stripe := runtime.SecurityScheme{Name: "Stripe", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "stripe"}}
	gh := runtime.SecurityScheme{Name: "GH", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "github"}}
	basic := runtime.SecurityScheme{Name: "Basic", Kind: runtime.Basic}
	bearer := runtime.SecurityScheme{Name: "Bearer", Kind: runtime.Bearer}
	token := runtime.SecurityScheme{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-StackState-Webhook-Token"}
	tests := []struct {
		name   string
		scheme runtime.SecurityScheme
		secret string
		header http.Header
		want   error
		detail string
	}{
		{"bearer lower-case scheme word", bearer, "tok", http.Header{"Authorization": {"bearer tok"}}, nil, ""},
		{"bearer upper-case, extra spaces", bearer, "tok", http.Header{"Authorization": {"BEARER   tok "}}, nil, ""},
		{"bearer given Basic", bearer, "tok", http.Header{"Authorization": {"Basic dG9r"}}, ErrMalformedCredential, "not a Bearer credential"},
		{"bearer without token", bearer, "tok", http.Header{"Authorization": {"Bearer "}}, ErrMalformedCredential, "not a Bearer credential"},
		{"basic lower-case scheme word", basic, "u:p", http.Header{"Authorization": {"basic dTpw"}}, nil, ""},
		{"basic not base64", basic, "u:p", http.Header{"Authorization": {"Basic !!!"}}, ErrMalformedCredential, "not a valid Basic credential"},
		{"basic without colon", basic, "u:p", http.Header{"Authorization": {"Basic dXA="}}, ErrMalformedCredential, "not a valid Basic credential"},
		{"token in non-canonical header key", token, "tok", http.Header{"x-stackstate-webhook-token": {"tok"}}, nil, ""},
		{"token empty", token, "tok", http.Header{"X-Stackstate-Webhook-Token": {""}}, ErrMissingCredential, "missing header X-Stackstate-Webhook-Token"},
		{"token wrong", token, "tok", http.Header{"X-Stackstate-Webhook-Token": {"tok2"}}, ErrMismatch, "token mismatch"},
		{"sw missing id", sw, "k", http.Header{"Webhook-Timestamp": {"1772366400"}, "Webhook-Signature": {"v1,AAAA"}}, ErrMissingCredential, "missing header Webhook-Id"},
		{"sw missing timestamp", sw, "k", http.Header{"Webhook-Id": {"m"}, "Webhook-Signature": {"v1,AAAA"}}, ErrMissingCredential, "missing header Webhook-Timestamp"},
		{"sw bad timestamp", sw, "k", http.Header{"Webhook-Id": {"m"}, "Webhook-Timestamp": {"12:00"}, "Webhook-Signature": {"v1,AAAA"}}, ErrMalformedCredential, "malformed header Webhook-Timestamp"},
		{"sw no v1", sw, "k", http.Header{"Webhook-Id": {"m"}, "Webhook-Timestamp": {"1772366400"}, "Webhook-Signature": {"v1a,AAAA v1,!!"}}, ErrMalformedCredential, "no v1 signature"},
		{"stripe no t", stripe, "k", http.Header{"Stripe-Signature": {"v1=00"}}, ErrMalformedCredential, "no timestamp"},
		{"stripe repeated t", stripe, "k", http.Header{"Stripe-Signature": {"t=1,t=2,v1=00"}}, ErrMalformedCredential, "repeated timestamp"},
		{"stripe no v1", stripe, "k", http.Header{"Stripe-Signature": {"t=1772366400,v0=00"}}, ErrMalformedCredential, "no v1 signature"},
		{"github no prefix", gh, "k", http.Header{"X-Hub-Signature-256": {"00ff"}}, ErrMalformedCredential, "malformed signature"},
		{"github bad hex", gh, "k", http.Header{"X-Hub-Signature-256": {"sha256=zz"}}, ErrMalformedCredential, "malformed signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(familyFor(tt.scheme), Secrets{tt.scheme.Name: {tt.secret}}, WithClock(fixedClock))
			require.NoError(t, err)
			err = a.Authenticate(&runtime.Request{Header: tt.header, Raw: []byte(testBody)})
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.detail)
		})
	}
}

func TestToleranceOptions(t *testing.T) {
	t.Parallel()
	s := runtime.SecurityScheme{Name: "SW", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "standard-webhooks"}}
	req := toRuntime(signed(t, s, "k", testBody, testNow.Add(-10*time.Minute)), testBody)

	a, err := New(familyFor(s), Secrets{"SW": {"k"}}, WithClock(fixedClock))
	require.NoError(t, err)
	require.ErrorIs(t, a.Authenticate(req), ErrTimestamp)

	a, err = New(familyFor(s), Secrets{"SW": {"k"}}, WithClock(fixedClock), WithTolerance(11*time.Minute))
	require.NoError(t, err)
	require.NoError(t, a.Authenticate(req))

	// The spec's tolerance wins over the option.
	spec := *s.Signature
	spec.Tolerance = time.Minute
	s.Signature = &spec
	a, err = New(familyFor(s), Secrets{"SW": {"k"}}, WithClock(fixedClock), WithTolerance(11*time.Minute))
	require.NoError(t, err)
	require.ErrorIs(t, a.Authenticate(req), ErrTimestamp)
}

func TestSecurityAlternatives(t *testing.T) {
	t.Parallel()
	keys := rsaKeys()
	basic := runtime.SecurityScheme{Name: "Basic", Kind: runtime.Basic}
	bearer := runtime.SecurityScheme{Name: "Bearer", Kind: runtime.Bearer}
	token := runtime.SecurityScheme{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-Token"}
	clc := runtime.SecurityScheme{Name: "Tier3", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "rsa-sha1"}}
	schemes := map[string]runtime.SecurityScheme{"Basic": basic, "Bearer": bearer, "Token": token, "Tier3": clc}
	fam := func(reqs ...runtime.SecurityRequirement) *runtime.Family {
		return &runtime.Family{Name: "f", Security: reqs, Schemes: schemes}
	}
	withBasic := func(r *http.Request) { r.SetBasicAuth("u", "p") }
	withBearer := func(r *http.Request) { r.Header.Set("Authorization", "Bearer b") }
	withToken := func(r *http.Request) { r.Header.Set("X-Token", "t") }
	withCLC := func(r *http.Request) {
		require.NoError(t, Sign(r, []byte(testBody), clc, keys.priv1, testNow))
	}
	tests := []struct {
		name     string
		fam      *runtime.Family
		secrets  Secrets
		set      []func(*http.Request)
		enforced bool
		ok       bool
		failures int
	}{
		{"no security accepts all", fam(), nil, nil, false, true, 0},
		{"OR: second alternative passes", fam(runtime.SecurityRequirement{"Basic"}, runtime.SecurityRequirement{"Bearer"}),
			Secrets{"Basic": {"u:p"}, "Bearer": {"b"}}, []func(*http.Request){withBearer}, true, true, 0},
		{"OR: nothing passes, one failure per alternative", fam(runtime.SecurityRequirement{"Basic"}, runtime.SecurityRequirement{"Bearer"}),
			Secrets{"Basic": {"u:p"}, "Bearer": {"b"}}, nil, true, false, 2},
		{"AND: both present", fam(runtime.SecurityRequirement{"Token", "Basic"}),
			Secrets{"Basic": {"u:p"}, "Token": {"t"}}, []func(*http.Request){withBasic, withToken}, true, true, 0},
		{"AND: one missing", fam(runtime.SecurityRequirement{"Token", "Basic"}),
			Secrets{"Basic": {"u:p"}, "Token": {"t"}}, []func(*http.Request){withToken}, true, false, 1},
		{"optional, no secret: unsigned accepted", fam(runtime.SecurityRequirement{"Tier3"}, runtime.SecurityRequirement{}),
			nil, nil, false, true, 0},
		{"optional, secret configured: unsigned rejected", fam(runtime.SecurityRequirement{"Tier3"}, runtime.SecurityRequirement{}),
			Secrets{"Tier3": {keys.pub1}}, nil, true, false, 1},
		{"optional, secret configured: signed accepted", fam(runtime.SecurityRequirement{"Tier3"}, runtime.SecurityRequirement{}),
			Secrets{"Tier3": {keys.pub1}}, []func(*http.Request){withCLC}, true, true, 0},
		{"optional, only one alternative configured", fam(runtime.SecurityRequirement{"Basic"}, runtime.SecurityRequirement{"Bearer"}, runtime.SecurityRequirement{}),
			Secrets{"Bearer": {"b"}}, []func(*http.Request){withBasic}, true, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.fam, tt.secrets, WithClock(fixedClock))
			require.NoError(t, err)
			assert.Equal(t, tt.enforced, a.Enforced())
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			for _, set := range tt.set {
				set(r)
			}
			err = a.Authenticate(toRuntime(r, testBody))
			if tt.ok {
				require.NoError(t, err)
				return
			}
			var ae *Error
			require.ErrorAs(t, err, &ae)
			assert.Len(t, ae.Failures, tt.failures)
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	keys := rsaKeys()
	const secret = "S3CR3T-VALUE-never-print"
	token := runtime.SecurityScheme{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-Token"}
	sig := func(name string, spec runtime.SignatureSpec) runtime.SecurityScheme {
		return runtime.SecurityScheme{Name: name, Kind: runtime.Signature, Signature: &spec}
	}
	one := familyFor
	tests := []struct {
		name    string
		fam     *runtime.Family
		secrets Secrets
		scheme  string
		msg     string
	}{
		{"nil family", nil, nil, "", "nil family"},
		{"missing secret", one(token), nil, "Token", "no secret configured"},
		{"empty secret", one(token), Secrets{"Token": {""}}, "Token", "secret 0 is empty"},
		{"empty second secret", one(token), Secrets{"Token": {secret, ""}}, "Token", "secret 1 is empty"},
		{"empty list", one(token), Secrets{"Token": {}}, "Token", "empty secret list"},
		{"unknown scheme in secrets", one(token), Secrets{"Token": {secret}, "Tokn": {secret}}, "Tokn", "no operation's security uses this scheme"},
		{"undefined scheme in security", &runtime.Family{Security: []runtime.SecurityRequirement{{"Nope"}}}, nil, "Nope", "not defined"},
		{"basic without colon", one(runtime.SecurityScheme{Name: "B", Kind: runtime.Basic}), Secrets{"B": {secret}}, "B", `not "user:password"`},
		{"apikey bad location", one(runtime.SecurityScheme{Name: "K", Kind: runtime.APIKey, In: "body", Param: "x"}), Secrets{"K": {secret}}, "K", "not header, query or cookie"},
		{"apikey no param", one(runtime.SecurityScheme{Name: "K", Kind: runtime.APIKey, In: "header"}), Secrets{"K": {secret}}, "K", "without a parameter name"},
		{"unknown kind", one(runtime.SecurityScheme{Name: "K"}), Secrets{"K": {secret}}, "K", "unknown scheme kind"},
		{"bad PEM", one(sig("R", runtime.SignatureSpec{Format: "rsa-sha1"})), Secrets{"R": {secret}}, "R", "no PEM public key"},
		{"bad PEM body", one(sig("R", runtime.SignatureSpec{Format: "rsa-sha1"})), Secrets{"R": {"-----BEGIN PUBLIC KEY-----\nU0VDUkVU\n-----END PUBLIC KEY-----\n"}}, "R", "bad PUBLIC KEY PEM block"},
		{"private key as public", one(sig("R", runtime.SignatureSpec{Format: "rsa-sha1"})), Secrets{"R": {keys.priv1}}, "R", "private key"},
		{"PEM trailing junk", one(sig("R", runtime.SignatureSpec{Format: "rsa-sha1"})), Secrets{"R": {keys.pub1 + secret}}, "R", "unexpected data"},
		{"bad whsec", one(sig("S", runtime.SignatureSpec{Format: "standard-webhooks"})), Secrets{"S": {"whsec_" + secret}}, "S", "not valid base64"},
		{"no signature spec", one(runtime.SecurityScheme{Name: "S", Kind: runtime.Signature}), Secrets{"S": {secret}}, "S", "without x-hookgen-signature"},
		{"unsupported format", one(sig("S", runtime.SignatureSpec{Format: "slack"})), Secrets{"S": {secret}}, "S", "unsupported signature format"},
		{"ed25519 not supported", one(sig("S", runtime.SignatureSpec{Format: "standard-webhooks", Algorithm: "ed25519"})), Secrets{"S": {secret}}, "S", "does not support algorithm"},
		{"stripe sha1", one(sig("S", runtime.SignatureSpec{Format: "stripe", Algorithm: "hmac-sha1"})), Secrets{"S": {secret}}, "S", "does not support algorithm"},
		{"github md5", one(sig("S", runtime.SignatureSpec{Format: "github", Algorithm: "hmac-md5"})), Secrets{"S": {secret}}, "S", "does not support algorithm"},
		{"hmac without header", one(sig("S", runtime.SignatureSpec{Format: "hmac"})), Secrets{"S": {secret}}, "S", "needs a signature header"},
		{"hmac bad encoding", one(sig("S", runtime.SignatureSpec{Format: "hmac", Header: "X", Encoding: "base32"})), Secrets{"S": {secret}}, "S", "unsupported signature encoding"},
		{"rsa bad algorithm", one(sig("S", runtime.SignatureSpec{Format: "rsa-sha1", Algorithm: "hmac-sha256"})), Secrets{"S": {keys.pub1}}, "S", "does not support algorithm"},
		{"rsa-sha256 without header", one(sig("S", runtime.SignatureSpec{Format: "rsa-sha256"})), Secrets{"S": {keys.pub1}}, "S", "needs a signature header"},
		{"optional but partial requirement", &runtime.Family{
			Security: []runtime.SecurityRequirement{{"Token", "B"}, {}},
			Schemes:  map[string]runtime.SecurityScheme{"Token": token, "B": {Name: "B", Kind: runtime.Basic}},
		}, Secrets{"Token": {secret}}, "Token", "also needs a scheme without a secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.fam, tt.secrets)
			require.Error(t, err)
			assert.Nil(t, a)
			assert.ErrorIs(t, err, runtime.ErrConfig)
			assert.Contains(t, err.Error(), tt.msg)
			if tt.scheme != "" {
				assert.Contains(t, err.Error(), `scheme "`+tt.scheme+`"`)
			}
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "U0VDUkVU")
		})
	}
}

func TestNilAuthenticatorAndRequest(t *testing.T) {
	t.Parallel()
	var a *Authenticator
	require.ErrorIs(t, a.Authenticate(&runtime.Request{}), runtime.ErrConfig)
	assert.False(t, a.Enforced())

	s := runtime.SecurityScheme{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-Token"}
	a, err := New(familyFor(s), Secrets{"Token": {"t"}})
	require.NoError(t, err)
	require.ErrorIs(t, a.Authenticate(nil), runtime.ErrUnauthorized)
}

func TestDefaultClockIsUsed(t *testing.T) {
	t.Parallel()
	s := runtime.SecurityScheme{Name: "SW", Kind: runtime.Signature, Signature: &runtime.SignatureSpec{Format: "standard-webhooks"}}
	a, err := New(familyFor(s), Secrets{"SW": {"k"}}, WithClock(nil), WithTolerance(0), nil)
	require.NoError(t, err)
	require.NoError(t, a.Authenticate(toRuntime(signed(t, s, "k", testBody, time.Now()), testBody)))
	require.ErrorIs(t, a.Authenticate(toRuntime(signed(t, s, "k", testBody, testNow), testBody)), ErrTimestamp)
}

// TestSignedRequestOverHTTP signs on the client side, sends over a real
// connection, and authenticates on the server side: nothing between the two
// may alter what was signed.
func TestSignedRequestOverHTTP(t *testing.T) {
	t.Parallel()
	for _, f := range fixtures(t) {
		t.Run(f.name, func(t *testing.T) {
			a, err := New(familyFor(f.scheme), Secrets{f.scheme.Name: f.secrets})
			require.NoError(t, err)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var body bytes.Buffer
				_, _ = body.ReadFrom(r.Body)
				rr := &runtime.Request{Method: r.Method, Path: r.URL.Path, Header: r.Header, Query: r.URL.Query(), Raw: body.Bytes(), Body: body.Bytes()}
				if err := a.Authenticate(rr); err != nil {
					http.Error(w, err.Error(), http.StatusUnauthorized)
					return
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			var signer string
			if f.signers != nil {
				signer = f.signers[1]
			} else {
				signer = f.secrets[1]
			}
			for secret, want := range map[string]int{signer: http.StatusOK, f.wrong: http.StatusUnauthorized} {
				req, err := http.NewRequest(http.MethodPost, srv.URL+"/hook?x=1", strings.NewReader(testBody))
				require.NoError(t, err)
				require.NoError(t, Sign(req, []byte(testBody), f.scheme, secret, time.Now()))
				resp, err := srv.Client().Do(req)
				require.NoError(t, err)
				_ = resp.Body.Close()
				assert.Equal(t, want, resp.StatusCode)
			}
		})
	}
}

// TestPerOperationRequirements: each operation is authenticated by its own
// requirements (Webhook.Security), else the family's; a request that names
// no operation of a family with per-operation security is refused unless
// the family's own security admits it.
func TestPerOperationRequirements(t *testing.T) {
	t.Parallel()
	token := runtime.SecurityScheme{Name: "Token", Kind: runtime.APIKey, In: "header", Param: "X-Token"}
	bearer := runtime.SecurityScheme{Name: "Bearer", Kind: runtime.Bearer}
	fam := &runtime.Family{
		Name:     "f",
		Security: []runtime.SecurityRequirement{{"Token"}},
		Schemes:  map[string]runtime.SecurityScheme{"Token": token, "Bearer": bearer},
		Webhooks: []runtime.Webhook{
			{Name: "root", Methods: []string{"POST"}},
			{Name: "public", Methods: []string{"POST"}, Security: map[string][]runtime.SecurityRequirement{"POST": runtime.PublicSecurity()}},
			{Name: "bearer", Methods: []string{"POST"}, Security: map[string][]runtime.SecurityRequirement{"POST": {{"Bearer"}}}},
		},
	}
	a, err := New(fam, Secrets{"Token": {"t"}, "Bearer": {"b"}})
	require.NoError(t, err)
	assert.True(t, a.Enforced())
	req := func(webhook string, h ...string) *runtime.Request {
		hdr := http.Header{}
		for i := 0; i+1 < len(h); i += 2 {
			hdr.Set(h[i], h[i+1])
		}
		return &runtime.Request{Webhook: webhook, Method: "POST", Header: hdr}
	}
	assert.NoError(t, a.Authenticate(req("root", "X-Token", "t")))
	assert.ErrorIs(t, a.Authenticate(req("root", "Authorization", "Bearer b")), runtime.ErrUnauthorized)
	assert.NoError(t, a.Authenticate(req("public")))
	assert.NoError(t, a.Authenticate(req("bearer", "Authorization", "Bearer b")))
	assert.ErrorIs(t, a.Authenticate(req("bearer", "X-Token", "t")), runtime.ErrUnauthorized)
	// No operation named: the family's own security applies.
	assert.ErrorIs(t, a.Authenticate(req("")), runtime.ErrUnauthorized)
	assert.NoError(t, a.Authenticate(req("", "X-Token", "t")))

	// When every operation declares its own, a request naming none is refused.
	own := *fam
	own.Webhooks = fam.Webhooks[1:]
	a, err = New(&own, Secrets{"Bearer": {"b"}})
	require.NoError(t, err)
	assert.ErrorIs(t, a.Authenticate(req("", "Authorization", "Bearer b")), runtime.ErrUnauthorized)
	assert.NoError(t, a.Authenticate(req("public")))
	// A secret for the root scheme nobody uses is refused.
	_, err = New(&own, Secrets{"Bearer": {"b"}, "Token": {"t"}})
	assert.ErrorIs(t, err, runtime.ErrConfig)
}

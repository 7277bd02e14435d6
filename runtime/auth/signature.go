package auth

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1" //nolint:gosec // HMAC-SHA1 and RSA-SHA1 are what some vendors send.
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"hash"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// Signature formats (SignatureSpec.Format).
const (
	FormatStandardWebhooks = "standard-webhooks"
	FormatGitHub           = "github"
	FormatStripe           = "stripe"
	FormatHMAC             = "hmac"
	FormatRSASHA1          = "rsa-sha1"
	FormatRSASHA256        = "rsa-sha256"
)

// sigParams is a SignatureSpec with every default filled in.
type sigParams struct {
	format    string
	header    string // canonical
	idHeader  string // canonical (standard-webhooks)
	tsHeader  string // canonical (standard-webhooks)
	mac       func() hash.Hash
	rsaHash   crypto.Hash // rsa formats
	encoding  string      // "hex" or "base64"
	prefix    string
	tolerance time.Duration
}

func (p *sigParams) isRSA() bool { return p.rsaHash != 0 }

// resolveSignature applies the documented defaults of each format:
//
//   - standard-webhooks: headers webhook-id, webhook-timestamp and
//     webhook-signature ("v1,<base64>" entries), HMAC-SHA256 over
//     "id.timestamp.body";
//   - github: X-Hub-Signature-256 "sha256=<hex>" HMAC-SHA256 over the body
//     (hmac-sha1: X-Hub-Signature "sha1=<hex>");
//   - stripe: Stripe-Signature "t=<unix>,v1=<hex>", HMAC-SHA256 over
//     "t.body";
//   - hmac: HMAC over the body in the spec's header (required), algorithm
//     (default hmac-sha256), encoding (default hex) and prefix;
//   - rsa-sha1, rsa-sha256: PKCS #1 v1.5 RSA signature of the body's SHA-1
//     or SHA-256 digest, base64 by default, in the spec's header (default
//     Tier3-RsaSha1 for rsa-sha1).
//
// The header is SignatureSpec.Header, else SecurityScheme.Param, else the
// default above.
func resolveSignature(name string, s runtime.SecurityScheme, defTolerance time.Duration) (*sigParams, error) {
	spec := s.Signature
	if spec == nil {
		return nil, configErr(name, "signature scheme without x-hookgen-signature")
	}
	p := &sigParams{format: spec.Format, encoding: spec.Encoding, prefix: spec.Prefix, tolerance: spec.Tolerance}
	if p.tolerance <= 0 {
		p.tolerance = defTolerance
	}
	header := spec.Header
	if header == "" {
		header = s.Param
	}
	alg := spec.Algorithm
	onlySHA256 := func() error {
		if alg != "" && alg != "hmac-sha256" {
			return configErr(name, fmt.Sprintf("format %s does not support algorithm %q", spec.Format, alg))
		}
		p.mac = sha256.New
		return nil
	}
	switch spec.Format {
	case FormatStandardWebhooks:
		if err := onlySHA256(); err != nil {
			return nil, err
		}
		p.encoding, p.prefix = "base64", ""
		p.header = orDefault(header, "webhook-signature")
		p.idHeader = orDefault(spec.IDHeader, "webhook-id")
		p.tsHeader = orDefault(spec.TimestampHeader, "webhook-timestamp")
	case FormatStripe:
		if err := onlySHA256(); err != nil {
			return nil, err
		}
		p.encoding, p.prefix = "hex", ""
		p.header = orDefault(header, "Stripe-Signature")
	case FormatGitHub:
		if alg == "" {
			alg = "hmac-sha256"
		}
		mac, ok := hmacHash(alg)
		if !ok {
			return nil, configErr(name, fmt.Sprintf("format github does not support algorithm %q", alg))
		}
		p.mac = mac
		short := strings.TrimPrefix(alg, "hmac-")
		defHeader := "X-Hub-Signature-" + strings.TrimPrefix(short, "sha")
		if short == "sha1" {
			defHeader = "X-Hub-Signature"
		}
		p.header = orDefault(header, defHeader)
		p.prefix = orDefault(p.prefix, short+"=")
		p.encoding = orDefault(p.encoding, "hex")
	case FormatHMAC:
		mac, ok := hmacHash(orDefault(alg, "hmac-sha256"))
		if !ok {
			return nil, configErr(name, fmt.Sprintf("format hmac does not support algorithm %q", alg))
		}
		if header == "" {
			return nil, configErr(name, "format hmac needs a signature header")
		}
		p.mac, p.header = mac, header
		p.encoding = orDefault(p.encoding, "hex")
	case FormatRSASHA1, FormatRSASHA256, "rsa":
		switch orDefault(alg, spec.Format) {
		case "rsa-sha1":
			p.rsaHash = crypto.SHA1
			header = orDefault(header, "Tier3-RsaSha1")
		case "rsa-sha256":
			p.rsaHash = crypto.SHA256
		default:
			return nil, configErr(name, fmt.Sprintf("format %s does not support algorithm %q", spec.Format, alg))
		}
		if header == "" {
			return nil, configErr(name, "RSA signature scheme needs a signature header")
		}
		p.header = header
		p.encoding = orDefault(p.encoding, "base64")
	default:
		return nil, configErr(name, fmt.Sprintf("unsupported signature format %q (supported: standard-webhooks, github, stripe, hmac, rsa-sha1, rsa-sha256)", spec.Format))
	}
	if p.encoding != "hex" && p.encoding != "base64" {
		return nil, configErr(name, fmt.Sprintf("unsupported signature encoding %q (supported: hex, base64)", p.encoding))
	}
	p.header = textproto.CanonicalMIMEHeaderKey(p.header)
	p.idHeader = textproto.CanonicalMIMEHeaderKey(p.idHeader)
	p.tsHeader = textproto.CanonicalMIMEHeaderKey(p.tsHeader)
	return p, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func hmacHash(alg string) (func() hash.Hash, bool) {
	switch alg {
	case "hmac-sha256":
		return sha256.New, true
	case "hmac-sha1":
		return sha1.New, true
	case "hmac-sha512":
		return sha512.New, true
	}
	return nil, false
}

// hmacKey decodes a configured HMAC key: "whsec_<base64>" for Standard
// Webhooks, raw bytes otherwise.
func hmacKey(p *sigParams, secret string) ([]byte, error) {
	if p.format == FormatStandardWebhooks {
		if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
			k, err := base64.StdEncoding.DecodeString(rest)
			if err != nil {
				return nil, fmt.Errorf("whsec_ secret is not valid base64 (%v)", err)
			}
			if len(k) == 0 {
				return nil, fmt.Errorf("whsec_ secret decodes to an empty key")
			}
			return k, nil
		}
	}
	return []byte(secret), nil
}

// signatureChecker verifies body signatures.
type signatureChecker struct {
	p       *sigParams
	keys    [][]byte         // HMAC keys
	pubKeys []*rsa.PublicKey // RSA keys
}

func newSignatureChecker(name string, p *sigParams, secrets []string) (*signatureChecker, error) {
	c := &signatureChecker{p: p}
	for i, s := range secrets {
		if p.isRSA() {
			keys, err := parsePublicKeys(s)
			if err != nil {
				return nil, configErr(name, fmt.Sprintf("secret %d: %v", i, err))
			}
			c.pubKeys = append(c.pubKeys, keys...)
			continue
		}
		k, err := hmacKey(p, s)
		if err != nil {
			return nil, configErr(name, fmt.Sprintf("secret %d: %v", i, err))
		}
		c.keys = append(c.keys, k)
	}
	return c, nil
}

// parsePublicKeys reads every RSA public key in a PEM text.
func parsePublicKeys(text string) ([]*rsa.PublicKey, error) {
	var keys []*rsa.PublicKey
	rest := []byte(text)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var cert *x509.Certificate
			if cert, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = cert.PublicKey
			}
		case "PRIVATE KEY", "RSA PRIVATE KEY":
			return nil, fmt.Errorf("PEM holds a private key; verification needs the public key")
		default:
			return nil, fmt.Errorf("unexpected PEM block type %q", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("bad %s PEM block (%v)", block.Type, err)
		}
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s PEM block is not an RSA key", block.Type)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("no PEM public key found")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, fmt.Errorf("unexpected data after the PEM blocks")
	}
	return keys, nil
}

// parsePrivateKey reads an RSA private key (PKCS #1 or PKCS #8 PEM).
func parsePrivateKey(text string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, fmt.Errorf("no PEM private key found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad RSA PRIVATE KEY PEM block")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("bad PRIVATE KEY PEM block")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PRIVATE KEY PEM block is not an RSA key")
		}
		return rk, nil
	}
	return nil, fmt.Errorf("unexpected PEM block type %q; signing needs an RSA private key", block.Type)
}

// signedContent returns what the MAC covers for a format.
func (p *sigParams) signedContent(id, ts string, body []byte) []byte {
	switch p.format {
	case FormatStandardWebhooks:
		b := make([]byte, 0, len(id)+len(ts)+2+len(body))
		b = append(append(append(append(append(b, id...), '.'), ts...), '.'), body...)
		return b
	case FormatStripe:
		b := make([]byte, 0, len(ts)+1+len(body))
		return append(append(append(b, ts...), '.'), body...)
	}
	return body
}

func (c *signatureChecker) check(req *runtime.Request, now time.Time) *Failure {
	p := c.p
	h, found := headerValue(req.Header, p.header)
	if !found || h == "" {
		return fail(ErrMissingCredential, "missing header "+p.header)
	}
	if p.isRSA() {
		return c.checkRSA(h, req.Raw)
	}
	var sigs [][]byte
	var id, ts string
	var when int64
	timestamped := false
	switch p.format {
	case FormatStandardWebhooks:
		if id, found = headerValue(req.Header, p.idHeader); !found || id == "" {
			return fail(ErrMissingCredential, "missing header "+p.idHeader)
		}
		if ts, found = headerValue(req.Header, p.tsHeader); !found || ts == "" {
			return fail(ErrMissingCredential, "missing header "+p.tsHeader)
		}
		var ok bool
		if when, ok = parseTimestamp(ts); !ok {
			return fail(ErrMalformedCredential, "malformed header "+p.tsHeader)
		}
		timestamped = true
		if sigs = parseStandardSignatures(h); len(sigs) == 0 {
			return fail(ErrMalformedCredential, "no v1 signature in header "+p.header)
		}
	case FormatStripe:
		sh, detail, ok := parseStripeHeader(h)
		if !ok {
			return fail(ErrMalformedCredential, detail)
		}
		ts, when, sigs, timestamped = sh.t, sh.ts, sh.sigs, true
	default:
		sig, ok := decodeSignature(h, p.prefix, p.encoding)
		if !ok {
			return fail(ErrMalformedCredential, "malformed signature in header "+p.header)
		}
		sigs = [][]byte{sig}
	}
	content := p.signedContent(id, ts, req.Raw)
	ok := 0
	for _, k := range c.keys {
		m := hmac.New(p.mac, k)
		m.Write(content)
		want := m.Sum(nil)
		for _, s := range sigs {
			ok |= subtle.ConstantTimeCompare(want, s)
		}
	}
	if ok != 1 {
		return fail(ErrMismatch, "signature mismatch")
	}
	if timestamped {
		if d := now.Sub(time.Unix(when, 0)); d > p.tolerance || d < -p.tolerance {
			return fail(ErrTimestamp, "timestamp outside tolerance")
		}
	}
	return nil
}

func (c *signatureChecker) checkRSA(h string, body []byte) *Failure {
	sig, ok := decodeSignature(h, c.p.prefix, c.p.encoding)
	if !ok {
		return fail(ErrMalformedCredential, "malformed signature in header "+c.p.header)
	}
	hh := c.p.rsaHash.New()
	hh.Write(body)
	digest := hh.Sum(nil)
	verified := false
	for _, k := range c.pubKeys {
		if rsa.VerifyPKCS1v15(k, c.p.rsaHash, digest, sig) == nil {
			verified = true
		}
	}
	if !verified {
		return fail(ErrMismatch, "signature mismatch")
	}
	return nil
}

// formatUnix formats a Unix time in seconds.
func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// Sign puts the credential of scheme on req as the vendor would: the API key
// in its header, query parameter or cookie; Basic ("user:password") or
// Bearer in Authorization; or the signature of body (and, for timestamped
// formats, now) in the signature headers. body must be the exact bytes that
// will be sent; Sign does not set req.Body.
//
// For RSA formats secret is a PEM private key (PKCS #1 or PKCS #8); for
// Standard Webhooks a "whsec_<base64>" key is decoded. A Standard Webhooks
// request without a webhook-id header gets "msg_" followed by 32 hex digits
// derived from the timestamp and body, so the same message signed in the
// same second gets the same id; set the header first to choose it.
//
// Errors wrap runtime.ErrConfig and never contain the secret.
func Sign(req *http.Request, body []byte, scheme runtime.SecurityScheme, secret string, now time.Time) error {
	name := scheme.Name
	if req == nil {
		return configErr(name, "nil request")
	}
	if secret == "" {
		return configErr(name, "empty secret")
	}
	if req.Header == nil {
		req.Header = http.Header{}
	}
	switch scheme.Kind {
	case runtime.APIKey:
		if scheme.Param == "" {
			return configErr(name, "apiKey scheme without a parameter name")
		}
		switch scheme.In {
		case "header":
			req.Header.Set(scheme.Param, secret)
		case "query":
			if req.URL == nil {
				return configErr(name, "request without a URL")
			}
			q := req.URL.Query()
			q.Set(scheme.Param, secret)
			req.URL.RawQuery = q.Encode()
		case "cookie":
			for i := 0; i < len(secret); i++ {
				// net/http would log and drop such bytes (and so print
				// the secret): refuse them instead.
				if c := secret[i]; c < 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\' {
					return configErr(name, "secret contains a byte not allowed in a cookie value")
				}
			}
			req.AddCookie(&http.Cookie{Name: scheme.Param, Value: secret})
		default:
			return configErr(name, fmt.Sprintf("apiKey location %q is not header, query or cookie", scheme.In))
		}
		return nil
	case runtime.Bearer:
		req.Header.Set("Authorization", "Bearer "+secret)
		return nil
	case runtime.Basic:
		user, pass, ok := strings.Cut(secret, ":")
		if !ok {
			return configErr(name, `secret is not "user:password"`)
		}
		req.SetBasicAuth(user, pass)
		return nil
	case runtime.Signature:
		return signBody(req, body, scheme, secret, now)
	}
	return configErr(name, fmt.Sprintf("unknown scheme kind %d", scheme.Kind))
}

func signBody(req *http.Request, body []byte, scheme runtime.SecurityScheme, secret string, now time.Time) error {
	name := scheme.Name
	p, err := resolveSignature(name, scheme, DefaultTolerance)
	if err != nil {
		return err
	}
	encode := func(b []byte) string {
		if p.encoding == "base64" {
			return base64.StdEncoding.EncodeToString(b)
		}
		return hex.EncodeToString(b)
	}
	if p.isRSA() {
		key, err := parsePrivateKey(secret)
		if err != nil {
			return configErr(name, err.Error())
		}
		h := p.rsaHash.New()
		h.Write(body)
		sig, err := rsa.SignPKCS1v15(nil, key, p.rsaHash, h.Sum(nil))
		if err != nil {
			return configErr(name, "RSA signing failed")
		}
		req.Header.Set(p.header, p.prefix+encode(sig))
		return nil
	}
	key, err := hmacKey(p, secret)
	if err != nil {
		return configErr(name, err.Error())
	}
	mac := func(content []byte) []byte {
		m := hmac.New(p.mac, key)
		m.Write(content)
		return m.Sum(nil)
	}
	ts := formatUnix(now)
	switch p.format {
	case FormatStandardWebhooks:
		id := req.Header.Get(p.idHeader)
		if id == "" {
			sum := sha256.Sum256([]byte(ts + "." + string(body)))
			id = "msg_" + hex.EncodeToString(sum[:16])
			req.Header.Set(p.idHeader, id)
		}
		req.Header.Set(p.tsHeader, ts)
		req.Header.Set(p.header, "v1,"+encode(mac(p.signedContent(id, ts, body))))
	case FormatStripe:
		req.Header.Set(p.header, "t="+ts+",v1="+encode(mac(p.signedContent("", ts, body))))
	default:
		req.Header.Set(p.header, p.prefix+encode(mac(body)))
	}
	return nil
}

// GenerateRSAKeyPair generates an RSA key pair for RSA signature schemes,
// for tests and for senders that sign: the private key as PKCS #8 PEM
// ("PRIVATE KEY", what [Sign] takes) and the public key as PKIX PEM ("PUBLIC
// KEY", what [Secrets] takes). bits 0 means 2048; fewer than 1024 bits are
// refused.
func GenerateRSAKeyPair(bits int) (privPEM, pubPEM []byte, err error) {
	if bits == 0 {
		bits = 2048
	}
	if bits < 1024 {
		return nil, nil, fmt.Errorf("auth: RSA keys need at least 1024 bits, got %d: %w", bits, runtime.ErrConfig)
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: generate RSA key: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: marshal RSA private key: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("auth: marshal RSA public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv}),
		pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}), nil
}

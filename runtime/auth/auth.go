package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookgen/hookgen/runtime"
)

// Secrets maps a security scheme name (the key in
// components.securitySchemes) to the secrets currently valid for it. Give
// several to rotate without downtime: a delivery passes when it matches any.
//
// What a secret is depends on the scheme:
//
//   - APIKey and Bearer: the token itself;
//   - Basic: "user:password" (split at the first ':');
//   - HMAC signature formats (standard-webhooks, github, stripe, hmac): the
//     key; a Standard Webhooks key given as "whsec_<base64>" is decoded,
//     any other key is used as raw bytes;
//   - RSA signature formats (rsa-sha1, rsa-sha256): one or more PEM blocks
//     holding public keys ("PUBLIC KEY", "RSA PUBLIC KEY" or a
//     "CERTIFICATE").
type Secrets map[string][]string

// Reasons an authentication fails, wrapped by [*Error] (next to
// runtime.ErrUnauthorized) so callers can tell them apart with errors.Is.
var (
	// ErrMissingCredential: the header, query parameter or cookie that
	// carries the credential or signature is absent or empty.
	ErrMissingCredential = errors.New("missing credential")
	// ErrMalformedCredential: the credential is present but cannot be
	// parsed (bad Basic encoding, no v1 signature, bad timestamp…).
	ErrMalformedCredential = errors.New("malformed credential")
	// ErrMismatch: the token or signature matches none of the valid secrets.
	ErrMismatch = errors.New("credential mismatch")
	// ErrTimestamp: a correctly signed delivery's timestamp is outside the
	// tolerance window (a replay, or clock skew).
	ErrTimestamp = errors.New("timestamp outside tolerance")
)

// Failure is why one scheme rejected a delivery.
type Failure struct {
	// Scheme is the security scheme name.
	Scheme string
	// Reason is one of ErrMissingCredential, ErrMalformedCredential,
	// ErrMismatch and ErrTimestamp.
	Reason error
	// Detail is a terse description safe to log, such as "missing header
	// X-Stackstate-Webhook-Token" or "signature mismatch".
	Detail string
}

// Error is returned by [Authenticator.Authenticate] when no alternative of
// the family's security passed. It wraps runtime.ErrUnauthorized and the
// Reason of every failure. Its text never contains a secret or a presented
// credential.
type Error struct {
	// Failures lists the first failing scheme of every alternative tried,
	// in the order of the family's security requirements.
	Failures []Failure
}

// Error returns "hookgen: authentication failed: scheme: detail; …".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(runtime.ErrUnauthorized.Error())
	for i, f := range e.Failures {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Scheme)
		b.WriteString(": ")
		b.WriteString(f.Detail)
	}
	return b.String()
}

// Unwrap returns runtime.ErrUnauthorized followed by every failure's Reason.
func (e *Error) Unwrap() []error {
	errs := []error{runtime.ErrUnauthorized}
	for _, f := range e.Failures {
		errs = append(errs, f.Reason)
	}
	return errs
}

// checker verifies one scheme. It returns nil when the delivery passes.
type checker interface {
	check(req *runtime.Request, now time.Time) *Failure
}

type namedChecker struct {
	name string
	c    checker
}

// Authenticator authenticates deliveries for one family. Build it with
// [New]; it is immutable and safe for concurrent use.
type Authenticator struct {
	def   *policy           // the family's own security (Family.Security)
	ops   map[opKey]*policy // operations with security of their own
	clock func() time.Time
}

// policy is one enforced list of security requirements.
type policy struct {
	alts [][]namedChecker // the requirements that are enforced
}

type opKey struct{ webhook, method string }

// New checks secrets against the security of every operation of the
// family and returns an Authenticator for it. Each operation is
// authenticated by its own requirements (runtime.Webhook.Security), else
// the family's (runtime.Family.Security); an operation declaring
// `security: []` is public while its neighbours stay authenticated. The
// rules, decided once here for each distinct list of requirements:
//
//   - A list without requirements needs no secrets: every delivery is
//     accepted.
//   - A list that does not include the empty requirement {} needs every
//     scheme of at least one requirement configured (NetPulse: Basic or
//     Bearer); it enforces the requirements whose schemes all have
//     secrets, and New refuses to start when none has.
//   - A list that includes {} (optional security, such as CenturyLink's
//     optional Tier3-RsaSha1 signature) enforces exactly the requirements
//     whose schemes all have secrets. With no secret configured,
//     deliveries are accepted unauthenticated; as soon as a requirement is
//     fully configured it is enforced and {} no longer admits unsigned
//     deliveries. A secret whose every requirement lacks another scheme's
//     secret is refused.
//
// New also refuses, with an error wrapping runtime.ErrConfig that names the
// scheme but never the secret: a nil family; a requirement naming a scheme
// the family does not define; a secret for a scheme no operation's security
// uses; a scheme listed in secrets with no secret or an empty one; a
// malformed secret (Basic without ':', bad whsec_ base64, bad PEM); an
// unsupported signature format or algorithm.
func New(fam *runtime.Family, secrets Secrets, opts ...Option) (*Authenticator, error) {
	cfg := config{clock: time.Now, tolerance: DefaultTolerance}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if fam == nil {
		return nil, fmt.Errorf("auth: nil family: %w", runtime.ErrConfig)
	}
	lists := fam.SecurityLists()
	used := map[string]bool{}
	for _, list := range append(lists, fam.Security) {
		for _, req := range list {
			for _, name := range req {
				if _, ok := fam.Schemes[name]; !ok {
					return nil, configErr(name, "named by the family's security but not defined")
				}
			}
		}
	}
	for _, list := range lists {
		for _, req := range list {
			for _, name := range req {
				used[name] = true
			}
		}
	}
	for _, name := range sortedKeys(secrets) {
		if !used[name] {
			return nil, configErr(name, "a secret is configured but no operation's security uses this scheme")
		}
	}
	checkers := map[string]checker{}
	for _, name := range sortedKeys(used) {
		list, configured := secrets[name]
		if !configured {
			continue // decided below, per requirement
		}
		if len(list) == 0 {
			return nil, configErr(name, "empty secret list")
		}
		for i, s := range list {
			if s == "" {
				return nil, configErr(name, fmt.Sprintf("secret %d is empty", i))
			}
		}
		c, err := newChecker(name, fam.Schemes[name], list, cfg)
		if err != nil {
			return nil, err
		}
		checkers[name] = c
	}
	a := &Authenticator{clock: cfg.clock}
	enforced := map[string]bool{}
	policies := make([]*policy, len(lists))
	var unmet []error
	for i, list := range lists {
		p, err := newPolicy(list, checkers, enforced)
		if err != nil {
			unmet = append(unmet, err) // report every operation's at once
			continue
		}
		policies[i] = p
	}
	if len(unmet) > 0 {
		return nil, errors.Join(unmet...)
	}
	for _, name := range sortedKeys(checkers) {
		if !enforced[name] {
			return nil, configErr(name, "a secret is configured but every requirement using this scheme also needs a scheme without a secret")
		}
	}
	find := func(l []runtime.SecurityRequirement) *policy {
		for i, o := range lists {
			if slices.EqualFunc(o, l, slices.Equal) {
				return policies[i]
			}
		}
		return nil
	}
	a.def = find(fam.Security)
	for i := range fam.Webhooks {
		w := &fam.Webhooks[i]
		for _, m := range w.Methods {
			if w.Security[m] == nil {
				continue
			}
			if a.ops == nil {
				a.ops = map[opKey]*policy{}
			}
			a.ops[opKey{w.Name, m}] = find(w.Security[m])
		}
	}
	return a, nil
}

// newPolicy builds the enforced requirements of one list, marking the
// schemes it enforces; it fails when the list requires authentication and
// no requirement is fully configured.
func newPolicy(list []runtime.SecurityRequirement, checkers map[string]checker, enforced map[string]bool) (*policy, error) {
	p := &policy{}
	for _, req := range list {
		if len(req) == 0 {
			continue
		}
		alt := make([]namedChecker, 0, len(req))
		for _, name := range req {
			if c, ok := checkers[name]; ok {
				alt = append(alt, namedChecker{name: name, c: c})
			}
		}
		if len(alt) < len(req) {
			continue
		}
		for _, name := range req {
			enforced[name] = true
		}
		p.alts = append(p.alts, alt)
	}
	if len(p.alts) > 0 || runtime.Optional(list) {
		return p, nil
	}
	// Required security and no alternative fully configured: refuse to
	// start, naming what would satisfy it.
	var names []string
	alts := make([]string, 0, len(list))
	for _, req := range list {
		alts = append(alts, strings.Join(req, " + "))
		for _, n := range req {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	if len(names) == 1 {
		return nil, configErr(names[0], "no secret configured")
	}
	return nil, fmt.Errorf("auth: no security requirement is fully configured: configure a secret for %s: %w", strings.Join(alts, " or "), runtime.ErrConfig)
}

// Enforced reports whether Authenticate checks anything for some
// operation. It is false for a family without security, and for optional
// security with no secret configured; receivers should warn about it at
// start-up.
func (a *Authenticator) Enforced() bool {
	if a == nil {
		return false
	}
	if a.def != nil && len(a.def.alts) > 0 {
		return true
	}
	for _, p := range a.ops {
		if len(p.alts) > 0 {
			return true
		}
	}
	return false
}

// Authenticate checks req against the security requirements of its
// operation (req.Webhook and req.Method; the family's when the operation
// declares none): it passes when every scheme of at least one enforced
// requirement passes. It returns nil or an [*Error] wrapping
// runtime.ErrUnauthorized. Signatures are verified over req.Raw, the body
// exactly as received. A family whose operations declare security of their
// own refuses a request that names no operation it knows, unless the
// family's own security admits it.
func (a *Authenticator) Authenticate(req *runtime.Request) error {
	if a == nil {
		return fmt.Errorf("auth: nil Authenticator: %w", runtime.ErrConfig)
	}
	p := a.def
	if req != nil {
		if q, ok := a.ops[opKey{req.Webhook, req.Method}]; ok {
			p = q
		}
	}
	if p == nil {
		return &Error{Failures: []Failure{{Scheme: "", Reason: ErrMissingCredential, Detail: "no security known for this operation"}}}
	}
	if len(p.alts) == 0 {
		return nil
	}
	if req == nil {
		return &Error{Failures: []Failure{{Scheme: p.alts[0][0].name, Reason: ErrMissingCredential, Detail: "no request"}}}
	}
	now := a.clock()
	failures := make([]Failure, 0, len(p.alts))
	for _, alt := range p.alts {
		var failed *Failure
		for _, nc := range alt {
			if f := nc.c.check(req, now); f != nil {
				f.Scheme = nc.name
				failed = f
				break
			}
		}
		if failed == nil {
			return nil
		}
		failures = append(failures, *failed)
	}
	return &Error{Failures: failures}
}

func configErr(scheme, msg string) error {
	return fmt.Errorf("auth: scheme %q: %s: %w", scheme, msg, runtime.ErrConfig)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func fail(reason error, detail string) *Failure {
	return &Failure{Reason: reason, Detail: detail}
}

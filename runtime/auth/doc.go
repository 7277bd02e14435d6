// Package auth authenticates inbound deliveries and signs outbound ones, for
// every security scheme a hookgen family can declare: API keys in a header,
// query parameter or cookie, HTTP Basic, bearer tokens, and body signatures
// described by x-hookgen-signature (Standard Webhooks, GitHub, Stripe, a
// generic HMAC, and RSA-SHA1/RSA-SHA256 as CenturyLink's Tier3-RsaSha1).
//
// [New] checks the configuration once, at start-up, and refuses to build an
// [Authenticator] with a missing, empty, unknown or malformed secret.
// [Authenticator.Authenticate] then evaluates the family's OR-of-AND security
// requirements per delivery. Tokens and MACs are compared in constant time
// against every currently valid secret (several at once, for rotation), and
// failures are reported as an [*Error] wrapping runtime.ErrUnauthorized whose
// text is safe to log: it names the scheme and a terse reason, never a secret
// and never the credential the sender presented.
//
// [Sign] is the other half, for hookgen's typed senders and test kit: it puts
// the credential or signature on an outgoing *http.Request exactly as the
// vendor does.
//
// The package never logs. An Authenticator is immutable after New and safe
// for concurrent use.
package auth

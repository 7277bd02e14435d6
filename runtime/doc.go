// Package runtime is the library every hookgen-generated receiver calls at
// run time. It holds the shared vocabulary of a delivery: the raw Request,
// the decoded Event, the Family and Webhook descriptors that generated code
// fills in, the typed outcomes a handler returns, and the single error
// vocabulary that maps every failure to an HTTP status and an RFC 9457
// problem document.
//
// The delivery pipeline itself lives in package
// github.com/hookgen/hookgen/runtime/receiver; authentication in
// runtime/auth; idempotency stores in runtime/store; runtime expressions in
// runtime/expr; ordering in runtime/order.
//
// Everything in this package is safe for concurrent use unless stated.
package runtime

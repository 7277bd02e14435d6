// Package expr evaluates OpenAPI runtime expressions against an inbound
// delivery. hookgen uses them wherever a spec points at a value of the
// request: the idempotency key (x-hookgen-idempotency-key), the ordering
// entity and version (x-hookgen-ordering) and event selection.
//
// The supported expressions are the request half of the OpenAPI runtime
// expression grammar:
//
//	$method
//	$url
//	$request.header.<token>
//	$request.query.<name>
//	$request.path.<name>
//	$request.body
//	$request.body#<json-pointer>
//
// Expressions are parsed once, at start-up, with [Parse], [ParseList] or
// [ParseMatch], and evaluated per delivery with [Expr.Eval], [List.Key] and
// [Match.Eval]. Body pointers are resolved by a small streaming JSON scanner
// that skips the values it does not need: it never decodes the document into
// maps and does not allocate for a lookup. The scanner validates the whole
// document as it goes, so a body that is not valid JSON yields an error
// wrapping [ErrInvalidJSON] (and runtime.ErrInvalidPayload).
//
// Parsed expressions ([Expr], [List], [Match]) are immutable values and safe
// for concurrent use.
package expr

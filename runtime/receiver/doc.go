// Package receiver is the delivery pipeline of hookgen: it turns an HTTP
// request from a webhook sender into exactly one call of the handler, and
// answers the sender with the status its delivery semantics need.
//
// One delivery goes through these steps, in this order:
//
//	method check (405 + Allow)
//	→ content-type check for JSON bodies (415; parameters such as charset ignored)
//	→ bounded read into one pooled buffer (413 past Delivery.MaxBodyBytes)
//	→ build the runtime.Request (query-encoded methods: Webhook.QueryBody)
//	→ authenticate (Delivery.AuthFailureStatus, terse problem without detail)
//	→ Webhook.Decode, strict or lenient (400 problem+json with JSON pointers)
//	→ Webhook.Key (idempotency key)
//	→ ordering guard (Webhook.Order + OrderStore: stale and after-terminal
//	  messages are acknowledged and dropped)
//	→ Store.Claim (a completed duplicate is acknowledged, a duplicate in
//	  flight is asked to come back later)
//	→ dispatch to the handler
//	→ Complete / Release / quarantine, and the answer.
//
// Every failure maps to a status through runtime.StatusFor and to an RFC
// 9457 problem document through runtime.ProblemFor. The receiver never
// acknowledges a delivery it neither processed nor persisted: store failures
// are answered with 503 and Retry-After.
//
// Every response carries a Hookgen-Outcome header naming what happened
// (see Outcome), except authentication failures, which are answered tersely.
//
// A Receiver is safe for concurrent use. It starts no goroutines; Close
// releases the resources it created itself (the default store).
package receiver

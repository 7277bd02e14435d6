// Package receiver is the delivery pipeline of hookgen: it turns an HTTP
// request from a webhook sender into exactly one effective call of the
// handler, and answers the sender with the status its delivery semantics
// need.
//
// # Stages
//
// A delivery runs through named stages, each of which may end it with a
// verdict (an Outcome and the error behind it):
//
//	read          method (405 + Allow), Content-Type (415), charset other
//	              than UTF-8 (415 naming it), Content-Encoding (identity or
//	              gzip; anything else 415 naming it), Content-Length (413)
//	authenticate  header-only credentials (API key, Basic, bearer) are
//	              checked here, before a byte of the body is read
//	read          one bounded read into a pooled buffer: 413 past
//	              Delivery.MaxBodyBytes, counted on the decoded bytes for
//	              gzip (a compression bomb stops at the limit); a leading
//	              UTF-8 byte order mark is 400
//	authenticate  body signatures are checked here
//	decode        Webhook.Decode (400 problem+json with JSON pointers),
//	              Webhook.Key, Webhook.Order
//	claim         Store.Claim: a completed duplicate is acknowledged, one in
//	              flight is asked to come back later
//	guard         OrderStore.Acquire checks the entity and holds it in one
//	              atomic step: stale and after-terminal messages are
//	              acknowledged and dropped, an entity held by another
//	              message is answered like a delivery in flight
//	handle        the handler, with the claim and the entity hold extended
//	              every lease/3; if the claim is lost the handler's context
//	              is cancelled with store.ErrLeaseLost as its cause
//
// and then one settle path, driven by the acknowledgement table (one row
// per Outcome): keep what must be kept (quarantined deliveries in the
// store's inbox as dead entries), complete or release the claim, commit or
// abandon the entity hold, keep a record, and answer. A failure to keep,
// complete or commit is answered 503 with Retry-After: the receiver never
// acknowledges a delivery it neither processed nor persisted. Store calls
// are bounded by WithStoreTimeout, so a store that stops answering is
// answered the same way instead of holding the sender.
//
// # Modes
//
// In Sync mode the handler runs while the sender waits. In Durable mode
// (WithMode; the default for single-attempt and limited-retries senders
// when the store has an inbox) the decode stage is followed by the persist
// stage: the raw delivery (body, redacted headers, request line, event,
// key, entity) is put to the store's inbox, durably for the bolt and
// PostgreSQL stores, and only then acknowledged with Outcome "accepted".
// Workers started by New lease due entries, run the handler with the lease
// kept alive, and settle each entry: done, again later with jittered
// exponential backoff, or dead after WithMaxAttempts attempts (Reason
// "exhausted"). Entries of one entity run one at a time, oldest first.
// Shutdown stops leasing and waits for the entries in flight; entries
// still pending are run by the next receiver on the same store.
//
// # Records
//
// When the store has an inbox (store.Inbox), it keeps one entry per
// delivery with its Reason: processed, and those acknowledged without
// processing (unhandled, unknown-event, stale, after-close, quarantined,
// invalid); a duplicate is counted on its entry. See (*Receiver).Inbox.
//
// Every failure maps to a status through runtime.StatusFor and to an RFC
// 9457 problem document through runtime.ProblemFor; texts taken from the
// request are cut to runtime.MaxDetail bytes in answers and log lines.
// Every response carries a Hookgen-Outcome header naming what happened
// (see Outcome), except authentication failures, which are answered
// tersely.
//
// A Receiver is safe for concurrent use. In durable mode it runs worker
// goroutines from New until Shutdown or Close; Close also closes the
// default store if the receiver created it.
package receiver

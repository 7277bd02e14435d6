// Package store defines the idempotency and ordering store the delivery
// pipeline claims keys in, and its in-memory and embedded durable
// implementations. Redis and PostgreSQL stores implement the same
// interfaces; every implementation must pass storetest.Run.
//
// A [Store] gives each delivery key an explicit state: [Processing] under a
// lease while a handler runs, [Done] once it completed (kept for a
// retention period), [Failed] when it may be retried, and [Absent] when the
// store holds nothing for it. Of any number of concurrent [Store.Claim]
// calls on one key exactly one wins; the winner passes its token to
// [Store.Complete] or [Store.Release], so a holder whose lease expired
// cannot overwrite a newer one ([ErrLeaseLost]).
//
// An [OrderStore] keeps each entity's newest committed version and whether
// it was closed, so that stale and after-close messages are dropped.
//
// Two implementations live here:
//
//   - [Memory] ([NewMemory]): in-process, bounded by entry count and bytes,
//     sharded for concurrency; state is lost with the process.
//   - [Bolt] ([OpenBolt]): the embedded durable default, one file on disk
//     written with bbolt; a completed key is on disk before Complete
//     returns and survives kill -9.
//
// Both use a clock passed in with [WithClock] and share the options built
// by the With functions in this package. Every method of both types is safe
// for concurrent use. Errors wrap [ErrLeaseLost], [ErrClosed], [ErrInvalid],
// [ErrFull] or the context's error, for errors.Is.
package store

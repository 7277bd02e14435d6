// Package store defines the one store a backend offers for all delivery
// state — idempotency claims, entity ordering, and the inbox (durable
// hand-off, delivery records, dead letter) — and its in-memory and
// embedded durable implementations. The Redis (package redisstore) and
// PostgreSQL (package pgstore) backends implement the same interfaces, and
// package storeurl opens any of them from a URL. Every implementation must
// pass storetest.Run, which drives two independent clients of one backend.
//
// A [Backend] is a [Store], an [OrderStore] and an [Inbox].
//
// A [Store] gives each delivery key an explicit state: [Processing] under a
// lease while a handler runs, [Done] once it completed (kept for a
// retention period), [Failed] when it may be retried, and [Absent] when the
// store holds nothing for it. Of any number of concurrent [Store.Claim]
// calls on one key exactly one wins; the winner gets a token and a fencing
// number ([Claim.Fence], strictly increasing), may renew its lease with
// [Store.Extend] while its handler runs, and passes its token to
// [Store.Complete] or [Store.Release], so a holder whose lease expired
// cannot overwrite a newer one ([ErrLeaseLost]).
//
// An [OrderStore] keeps each entity's newest committed version and whether
// it was closed. [OrderStore.Acquire] checks a message against it and
// holds the entity for the message in one atomic step, so that a stale or
// after-close message never runs concurrently with a newer one;
// [OrderStore.CommitOrder] advances the entity and releases the hold,
// [OrderStore.AbandonOrder] releases it without advancing, and
// [OrderStore.ExtendOrder] renews the hold while a slow handler runs.
//
// An [Inbox] keeps [Entry] values: Pending deliveries that workers
// [Inbox.Lease] (one entity at a time, oldest first) and [Inbox.Settle];
// records of processed deliveries and of deliveries acknowledged without
// processing (EntryDone, with a Reason); and the dead letter (Dead), which
// the operator lists ([Inbox.List], newest first, paged by cursor) and
// replays ([Inbox.Replay]).
//
// Two implementations live here:
//
//   - [Memory] ([NewMemory]): in-process, bounded by entry count and bytes,
//     sharded for concurrency; state is lost with the process. Its inbox
//     scans every entry on Lease, List and Purge: it is meant for tests and
//     small volumes.
//   - [Bolt] ([OpenBolt]): the embedded durable default, one file per
//     process for every family, written with bbolt; every write is
//     committed and fsynced before it returns (a completed key or a Put
//     entry survives kill -9), and the inbox is indexed so that List and
//     Lease cost the entries they return.
//
// Both use a clock passed in with [WithClock] and share the options built
// by the With functions in this package. Every method of both types is safe
// for concurrent use. Errors wrap [ErrLeaseLost], [ErrClosed], [ErrInvalid],
// [ErrFull], [ErrDuplicate], [ErrNotFound], [ErrUnsupported] or the
// context's error, for errors.Is.
//
// Differences from the first draft of the interface: the inbox lookup is
// [Inbox.GetEntry] (Store.Get already answers a claim's state, and one type
// cannot have both), and the Done entry state is [EntryDone] (Done is the
// claim state). [Query] has a Before bound (for purging by age), and
// [OrderClaim] reports the hold's end in Until, and [OrderStore]
// has ExtendOrder (a hold outliving its lease would let the next message
// of the entity run beside a slow handler). [OrderStore] keeps the
// two-step Check and Commit until every caller uses Acquire.
package store

// Package ticket turns webhook events into tickets in an issue tracker,
// exactly once per entity.
//
// A mapping layer (plain Go, written per vendor family) turns each event into
// an Action: open (or update) the ticket of an entity, add a note, or resolve
// it with a reason. An Engine applies actions through a Tracker (the issue
// tracker's API; see package ticket/redmine) and a Correlations store that
// maps each entity key to its ticket id.
//
// A restart or a second replica never opens a duplicate ticket: before
// creating, the Engine claims the entity key in the Correlations store (one
// claim wins across replicas sharing PostgreSQL), then asks the tracker for a
// ticket already carrying the key (created by an attempt that died before it
// recorded it), and only then creates one.
//
// Updates and resolves are applied once too: each update carries a
// fingerprint (e.g. state and title), and the Engine swaps it into the store
// before calling the tracker (swapping it back when the tracker fails), so
// that a repeated update, or the same update on two replicas, adds one note.
//
// Actions are ordered by Action.At (for a receiver, when the delivery was
// received): an action older than the newest one applied to its entity
// changes nothing, and a resolve that finds no ticket leaves its time
// behind, so that a failure and its success applied out of order (durable
// workers after an outage) leave no ticket open.
//
// Other trackers plug in by implementing Tracker.
package ticket

// Package pgstore is the PostgreSQL store.Backend (pgx v5 pool): claims,
// ordering and the durable inbox (hand-off, records, dead letter) in four
// tables shared by every replica that opens the same database and schema.
//
// Open applies the embedded, versioned migrations (migrations/NNNN_*.sql)
// before it returns; Migrate applies them alone, for a deployment step.
// Applied versions are kept in hookgen_schema_migrations, and a
// transaction-scoped advisory lock on the schema makes replicas that start
// together apply each migration once.
//
// The schema is the first of the URL's search_path (for example
// postgres://host/db?search_path=hooks), so that several deployments, or
// tests, can share one database.
//
// Guarantees, each backed by the conformance suite (storetest) run with
// two pools on one database:
//   - of concurrent Claims on a key, from any replicas, exactly one wins
//     (one INSERT … ON CONFLICT DO UPDATE whose WHERE is the claim rule);
//   - Acquire checks and holds an entity in one statement;
//   - Put is committed when it returns; a duplicate (family, id) returns
//     store.ErrDuplicate and counts it on the existing row;
//   - Lease uses SELECT … FOR UPDATE SKIP LOCKED, so replicas take
//     different entries without blocking, and hands out an entry of an
//     entity only when no earlier Pending entry of that entity exists;
//   - every lease and claim gets a fencing number from one sequence, and a
//     stale token is refused (store.ErrLeaseLost);
//   - List pages by an opaque cursor over indexes by time, state, family
//     and family+state.
//
// Keys, entities, families and ids are stored as bytea, so that any bytes
// (NUL, invalid UTF-8) are kept exactly; the other text fields are stored
// as valid UTF-8 (invalid bytes and NUL become U+FFFD).
package pgstore

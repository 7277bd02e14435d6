-- An entry waiting behind an earlier Pending entry of its entity is
-- blocked: it stays out of the due index, so that Lease does not scan an
-- entity's backlog on every poll. Put, Settle and Replay keep the flag
-- under a transaction-scoped advisory lock per entity; Lease still checks
-- the order itself, so the flag only saves work.
ALTER TABLE hookgen_inbox ADD COLUMN blocked boolean NOT NULL DEFAULT false;
DROP INDEX hookgen_inbox_due;
CREATE INDEX hookgen_inbox_due ON hookgen_inbox (GREATEST(next_at, lease_until), received_at, id)
    WHERE state = 1 AND NOT blocked;

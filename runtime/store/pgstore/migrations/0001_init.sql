-- Keys, entities, families and ids are bytea: they are attacker-chosen
-- bytes (NUL and invalid UTF-8 included) and compare bytewise.

-- Claims: one row per idempotency key (store.Store).
CREATE TABLE hookgen_claims (
    key         bytea PRIMARY KEY,
    state       smallint    NOT NULL,
    attempt     integer     NOT NULL,
    token       text        NOT NULL,
    lease_until timestamptz NOT NULL,
    expires     timestamptz NOT NULL
);
CREATE INDEX hookgen_claims_expires ON hookgen_claims (expires);

-- One counter for the fencing numbers of claims and inbox leases.
CREATE SEQUENCE hookgen_fence;

-- Ordering: one row per entity (store.OrderStore) and its hold.
CREATE TABLE hookgen_orders (
    entity      bytea PRIMARY KEY,
    version     bigint      NOT NULL,
    has_version boolean     NOT NULL,
    terminal    boolean     NOT NULL,
    expires     timestamptz NOT NULL,
    holder      bytea       NOT NULL,
    hold_token  text        NOT NULL,
    hold_until  timestamptz NOT NULL
);
CREATE INDEX hookgen_orders_expires ON hookgen_orders (expires);

-- Inbox: hand-off, records and dead letter (store.Inbox).
-- state: 1 pending, 2 done, 3 dead. Zero times are '-infinity'.
CREATE TABLE hookgen_inbox (
    family      bytea       NOT NULL,
    id          bytea       NOT NULL,
    webhook     text        NOT NULL,
    event       text        NOT NULL,
    key         text        NOT NULL,
    entity      bytea       NOT NULL,
    method      text        NOT NULL,
    path        text        NOT NULL,
    raw_query   text        NOT NULL,
    header      bytea,       -- JSON of the http.Header
    body        bytea       NOT NULL,
    received_at timestamptz NOT NULL,
    state       smallint    NOT NULL,
    reason      text        NOT NULL,
    attempts    integer     NOT NULL,
    next_at     timestamptz NOT NULL,
    last_error  text        NOT NULL,
    duplicates  integer     NOT NULL,
    updated_at  timestamptz NOT NULL,
    token       text        NOT NULL,
    lease_until timestamptz NOT NULL,
    PRIMARY KEY (family, id)
);
-- List: newest first, by any combination of family and state.
CREATE INDEX hookgen_inbox_time ON hookgen_inbox (received_at DESC, family DESC, id DESC);
CREATE INDEX hookgen_inbox_state ON hookgen_inbox (state, received_at DESC, family DESC, id DESC);
CREATE INDEX hookgen_inbox_family ON hookgen_inbox (family, received_at DESC, id DESC);
CREATE INDEX hookgen_inbox_family_state ON hookgen_inbox (family, state, received_at DESC, id DESC);
-- Lease: due pending entries, and the head of each entity.
CREATE INDEX hookgen_inbox_due ON hookgen_inbox (GREATEST(next_at, lease_until), received_at, id) WHERE state = 1;
CREATE INDEX hookgen_inbox_entity ON hookgen_inbox (family, entity, received_at, id) WHERE state = 1 AND entity <> ''::bytea;

-- Allocations (holds): units reserved for a while, counted against what others may buy.
-- A record's allocated units are never stored: they are the sum of its items in OPEN allocations
-- whose expires_at is still ahead, so expiry is exact for every reader before the sweep runs.
CREATE TABLE allocations (
    id              text   COLLATE "C" NOT NULL PRIMARY KEY,
    instance_id     text   NOT NULL,
    status          text   NOT NULL,            -- OPEN | COMMITTED | RELEASED | EXPIRED
    order_id        text   NULL,
    idempotency_key text   NULL,
    expires_at      bigint NOT NULL,            -- unix milliseconds
    created_at      bigint NOT NULL,
    closed_at       bigint NULL,
    closed_by       text   NULL                 -- what closed it: merchant, platform request id, sweep
);
CREATE UNIQUE INDEX allocations_by_key ON allocations (instance_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX allocations_open_by_expiry ON allocations (expires_at) WHERE status = 'OPEN';
CREATE INDEX allocations_open_by_order ON allocations (instance_id, order_id) WHERE status = 'OPEN' AND order_id IS NOT NULL;

CREATE TABLE allocation_items (
    allocation_id     text   NOT NULL,
    record_id         text   NOT NULL,
    quantity          bigint NOT NULL,
    catalog_reference text   NOT NULL,          -- as the merchant sent it, echoed back
    PRIMARY KEY (allocation_id, record_id)
);
CREATE INDEX allocation_items_by_record ON allocation_items (record_id, allocation_id);

-- ALLOCATE +n, RELEASE / EXPIRE / COMMIT -n: for every record, the sum is what its OPEN allocations hold.
ALTER TABLE ledger ADD COLUMN allocated_delta bigint NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN allocation_id text NULL;

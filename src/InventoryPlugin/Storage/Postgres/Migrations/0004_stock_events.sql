-- Low-stock thresholds, stock events and webhooks.
ALTER TABLE stock_records ADD COLUMN low_stock_threshold bigint NULL;    -- NULL: never low
-- The level the record's last event announced (OK | LOW | OUT): events are edge-triggered against it.
-- Records that exist now start at the level they are at (no thresholds yet, so OK or OUT), without an event.
ALTER TABLE stock_records ADD COLUMN stock_level text NOT NULL DEFAULT 'OK';
UPDATE stock_records SET stock_level = 'OUT'
WHERE (NOT track_quantity AND NOT in_stock)
   OR (track_quantity AND quantity - (SELECT COALESCE(SUM(ai.quantity), 0) FROM allocation_items ai JOIN allocations a ON a.id = ai.allocation_id
                                      WHERE ai.record_id = stock_records.id AND a.status = 'OPEN') <= 0);

-- The outbox: one row per crossing, written in the transaction of the change that caused it.
-- seq is the pull cursor (GET /api/v1/events) and the order of delivery; transactions that write
-- events take an advisory lock first, so seq order is commit order across replicas.
CREATE TABLE stock_events (
    seq                 bigserial PRIMARY KEY,
    id                  text   NOT NULL UNIQUE,
    instance_id         text   NOT NULL,
    type                text   NOT NULL,        -- LOW_STOCK | OUT_OF_STOCK | BACK_IN_STOCK
    record_id           text   NOT NULL,
    app_id              text   NOT NULL,        -- the record's key, kept: the record may be deleted later
    catalog_item_id     text   NOT NULL,
    variant_key         text   NOT NULL,
    location_id         text   NOT NULL,
    quantity_before     bigint NOT NULL,
    quantity_after      bigint NOT NULL,
    available_before    bigint NOT NULL,
    available_after     bigint NOT NULL,
    low_stock_threshold bigint NULL,
    ledger_seq          bigint NOT NULL,        -- the cause: the record's last ledger entry in that transaction
    operation           text   NOT NULL,
    request_id          text   NULL,
    created_at          bigint NOT NULL
);
CREATE INDEX stock_events_by_tenant ON stock_events (instance_id, seq);

CREATE TABLE webhook_subscriptions (
    id             text   COLLATE "C" NOT NULL PRIMARY KEY,
    instance_id    text   NOT NULL,
    url            text   NOT NULL,
    event_types    text   NOT NULL,             -- comma-separated, e.g. LOW_STOCK,OUT_OF_STOCK
    secret         text   NOT NULL,             -- signs deliveries; shown once, when created
    fanned_out_seq bigint NOT NULL,             -- every event up to this seq has its delivery row
    created_at     bigint NOT NULL
);
CREATE INDEX webhook_subscriptions_by_tenant ON webhook_subscriptions (instance_id, id);

-- One row per (subscription, event): its delivery state, visible to the merchant.
CREATE TABLE webhook_deliveries (
    subscription_id  text   NOT NULL,
    event_seq        bigint NOT NULL,
    record_id        text   NOT NULL,
    status           text   NOT NULL,           -- PENDING | DELIVERED | FAILED
    attempts         int    NOT NULL,
    next_attempt_at  bigint NOT NULL,
    last_status_code int    NULL,
    last_error       text   NULL,
    created_at       bigint NOT NULL,
    finished_at      bigint NULL,
    PRIMARY KEY (subscription_id, event_seq)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
-- Per-record order: a delivery waits while an earlier one of the same record is pending.
CREATE INDEX webhook_deliveries_pending_by_record ON webhook_deliveries (subscription_id, record_id, event_seq) WHERE status = 'PENDING';

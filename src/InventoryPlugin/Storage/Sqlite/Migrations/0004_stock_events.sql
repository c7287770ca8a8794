-- Low-stock thresholds, stock events and webhooks.
ALTER TABLE stock_records ADD COLUMN low_stock_threshold INTEGER NULL;   -- NULL: never low
-- The level the record's last event announced (OK | LOW | OUT): events are edge-triggered against it.
-- Records that exist now start at the level they are at (no thresholds yet, so OK or OUT), without an event.
ALTER TABLE stock_records ADD COLUMN stock_level TEXT NOT NULL DEFAULT 'OK';
UPDATE stock_records SET stock_level = 'OUT'
WHERE (track_quantity = 0 AND in_stock = 0)
   OR (track_quantity = 1 AND quantity - (SELECT COALESCE(SUM(ai.quantity), 0) FROM allocation_items ai JOIN allocations a ON a.id = ai.allocation_id
                                          WHERE ai.record_id = stock_records.id AND a.status = 'OPEN') <= 0);

-- The outbox: one row per crossing, written in the transaction of the change that caused it.
-- seq is the pull cursor (GET /api/v1/events) and the order of delivery.
CREATE TABLE stock_events (
    seq                 INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    id                  TEXT    NOT NULL UNIQUE,
    instance_id         TEXT    NOT NULL,
    type                TEXT    NOT NULL,       -- LOW_STOCK | OUT_OF_STOCK | BACK_IN_STOCK
    record_id           TEXT    NOT NULL,
    app_id              TEXT    NOT NULL,       -- the record's key, kept: the record may be deleted later
    catalog_item_id     TEXT    NOT NULL,
    variant_key         TEXT    NOT NULL,
    location_id         TEXT    NOT NULL,
    quantity_before     INTEGER NOT NULL,
    quantity_after      INTEGER NOT NULL,
    available_before    INTEGER NOT NULL,
    available_after     INTEGER NOT NULL,
    low_stock_threshold INTEGER NULL,
    ledger_seq          INTEGER NOT NULL,       -- the cause: the record's last ledger entry in that transaction
    operation           TEXT    NOT NULL,
    request_id          TEXT    NULL,
    created_at          INTEGER NOT NULL
);
CREATE INDEX stock_events_by_tenant ON stock_events (instance_id, seq);

CREATE TABLE webhook_subscriptions (
    id             TEXT    NOT NULL PRIMARY KEY,
    instance_id    TEXT    NOT NULL,
    url            TEXT    NOT NULL,
    event_types    TEXT    NOT NULL,            -- comma-separated, e.g. LOW_STOCK,OUT_OF_STOCK
    secret         TEXT    NOT NULL,            -- signs deliveries; shown once, when created
    fanned_out_seq INTEGER NOT NULL,            -- every event up to this seq has its delivery row
    created_at     INTEGER NOT NULL
);
CREATE INDEX webhook_subscriptions_by_tenant ON webhook_subscriptions (instance_id, id);

-- One row per (subscription, event): its delivery state, visible to the merchant.
CREATE TABLE webhook_deliveries (
    subscription_id  TEXT    NOT NULL,
    event_seq        INTEGER NOT NULL,
    record_id        TEXT    NOT NULL,
    status           TEXT    NOT NULL,          -- PENDING | DELIVERED | FAILED
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    last_status_code INTEGER NULL,
    last_error       TEXT    NULL,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER NULL,
    PRIMARY KEY (subscription_id, event_seq)
) WITHOUT ROWID;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'PENDING';
-- Per-record order: a delivery waits while an earlier one of the same record is pending.
CREATE INDEX webhook_deliveries_pending_by_record ON webhook_deliveries (subscription_id, record_id, event_seq) WHERE status = 'PENDING';

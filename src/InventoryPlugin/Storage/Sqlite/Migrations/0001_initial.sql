-- Stock records: one row per (tenant, app, catalog item, variant, location).
CREATE TABLE stock_records (
    id               TEXT    NOT NULL PRIMARY KEY,
    instance_id      TEXT    NOT NULL,
    app_id           TEXT    NOT NULL,
    catalog_item_id  TEXT    NOT NULL,
    variant_key      TEXT    NOT NULL,
    location_id      TEXT    NOT NULL,
    track_quantity   INTEGER NOT NULL,          -- 1: quantity is authoritative; 0: in_stock is
    quantity         INTEGER NOT NULL,          -- may be negative (preorder, unrestricted decrements)
    in_stock         INTEGER NOT NULL,
    preorder_enabled INTEGER NOT NULL DEFAULT 0,
    preorder_limit   INTEGER NULL,              -- NULL: unlimited
    preorder_message TEXT    NULL,
    auto_created     INTEGER NOT NULL DEFAULT 0,
    revision         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,          -- unix milliseconds
    updated_at       INTEGER NOT NULL,
    UNIQUE (instance_id, app_id, catalog_item_id, variant_key, location_id)
);

-- Append-only: for every record, quantity = SUM(delta) of its entries.
CREATE TABLE ledger (
    seq            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    instance_id    TEXT    NOT NULL,
    record_id      TEXT    NOT NULL,
    delta          INTEGER NOT NULL,
    quantity_after INTEGER NOT NULL,
    operation      TEXT    NOT NULL,            -- DECREMENT | INCREMENT | ADJUST | SET
    reason         TEXT    NULL,
    order_id       TEXT    NULL,
    request_id     TEXT    NULL,
    actor_type     TEXT    NOT NULL,
    actor_id       TEXT    NULL,
    restrict_flag  INTEGER NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX ledger_by_record  ON ledger (instance_id, record_id, seq);
CREATE INDEX ledger_by_order   ON ledger (instance_id, order_id, seq) WHERE order_id IS NOT NULL;
CREATE INDEX ledger_by_request ON ledger (instance_id, request_id) WHERE request_id IS NOT NULL;

CREATE TRIGGER ledger_is_append_only_update BEFORE UPDATE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
CREATE TRIGGER ledger_is_append_only_delete BEFORE DELETE ON ledger
BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;

-- The answer given to each (tenant, requestId), replayed to retries.
CREATE TABLE idempotency (
    instance_id    TEXT    NOT NULL,
    request_id     TEXT    NOT NULL,
    request_digest BLOB    NOT NULL,            -- SHA-256 of data.request
    status_code    INTEGER NOT NULL,
    body           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (instance_id, request_id)
) WITHOUT ROWID;
CREATE INDEX idempotency_by_age ON idempotency (created_at);

CREATE TABLE tenant_settings (
    instance_id         TEXT    NOT NULL PRIMARY KEY,
    default_location_id TEXT    NULL,
    unknown_item_policy TEXT    NULL,
    revision            INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);

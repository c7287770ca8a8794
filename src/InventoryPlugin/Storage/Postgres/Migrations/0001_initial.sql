-- The same schema as SQLite's 0001, in PostgreSQL's types. Times are unix milliseconds.

-- Stock records: one row per (tenant, app, catalog item, variant, location).
CREATE TABLE stock_records (
    id               text    COLLATE "C" NOT NULL PRIMARY KEY,  -- "C": pages in the same byte order as SQLite's
    instance_id      text    NOT NULL,
    app_id           text    NOT NULL,
    catalog_item_id  text    NOT NULL,
    variant_key      text    NOT NULL,
    location_id      text    NOT NULL,
    track_quantity   boolean NOT NULL,          -- true: quantity is authoritative; false: in_stock is
    quantity         bigint  NOT NULL,          -- may be negative (preorder, unrestricted decrements)
    in_stock         boolean NOT NULL,
    preorder_enabled boolean NOT NULL DEFAULT false,
    preorder_limit   bigint  NULL,              -- NULL: unlimited
    preorder_message text    NULL,
    auto_created     boolean NOT NULL DEFAULT false,
    revision         bigint  NOT NULL,
    created_at       bigint  NOT NULL,
    updated_at       bigint  NOT NULL,
    CONSTRAINT stock_records_key UNIQUE (instance_id, app_id, catalog_item_id, variant_key, location_id)
);

-- Append-only: for every record, quantity = SUM(delta) of its entries. A record's entries are
-- appended while its row is locked, so their seq order is the order of its changes.
CREATE TABLE ledger (
    seq            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id    text    NOT NULL,
    record_id      text    NOT NULL,
    delta          bigint  NOT NULL,
    quantity_after bigint  NOT NULL,
    operation      text    NOT NULL,            -- DECREMENT | INCREMENT | ADJUST | SET
    reason         text    NULL,
    order_id       text    NULL,
    request_id     text    NULL,
    actor_type     text    NOT NULL,
    actor_id       text    NULL,
    restrict_flag  boolean NULL,
    created_at     bigint  NOT NULL
);
CREATE INDEX ledger_by_record  ON ledger (instance_id, record_id, seq);
CREATE INDEX ledger_by_order   ON ledger (instance_id, order_id, seq) WHERE order_id IS NOT NULL;
CREATE INDEX ledger_by_request ON ledger (instance_id, request_id) WHERE request_id IS NOT NULL;

CREATE FUNCTION ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only';
END;
$$;
CREATE TRIGGER ledger_is_append_only BEFORE UPDATE OR DELETE ON ledger
    FOR EACH ROW EXECUTE FUNCTION ledger_is_append_only();
CREATE TRIGGER ledger_is_append_only_truncate BEFORE TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_is_append_only();

-- The answer given to each (tenant, requestId), replayed to retries. The primary key is what makes
-- a request apply once across replicas: the second claim of a key waits for the first to commit.
CREATE TABLE idempotency (
    instance_id    text    NOT NULL,
    request_id     text    NOT NULL,
    request_digest bytea   NOT NULL,            -- SHA-256 of data.request
    status_code    integer NOT NULL,
    body           text    NOT NULL,
    created_at     bigint  NOT NULL,
    PRIMARY KEY (instance_id, request_id)
);
CREATE INDEX idempotency_by_age ON idempotency (created_at);

CREATE TABLE tenant_settings (
    instance_id         text   NOT NULL PRIMARY KEY,
    default_location_id text   NULL,
    unknown_item_policy text   NULL,
    revision            bigint NOT NULL,
    updated_at          bigint NOT NULL
);

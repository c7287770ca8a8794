-- The unfiltered ledger page (a tenant's entries in seq order) walks this index instead of sorting
-- the tenant's whole ledger.
CREATE INDEX ledger_by_tenant ON ledger (instance_id, seq);

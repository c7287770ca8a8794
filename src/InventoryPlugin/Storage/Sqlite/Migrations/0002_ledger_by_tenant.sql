-- The unfiltered ledger page (a tenant's entries in seq order) walks this index instead of
-- sorting the tenant's whole ledger. Entries arrive in seq order, so each insert lands at the
-- right edge of its tenant's range: cheap to maintain.
CREATE INDEX ledger_by_tenant ON ledger (instance_id, seq);

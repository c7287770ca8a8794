-- Version 5 changes SQLite's schema only: there the ledger's requestId lookup moved from an index to the
-- request's idempotency row, to spare a random page write per ledger entry in the single writer's
-- commits. PostgreSQL keeps ledger_by_request: its platform path is bound by round trips and commit
-- flushes, not by the pages a commit writes (docs/benchmarks.md). The script keeps the versions in step,
-- so a schema version names the same release on both stores.
SELECT 1;

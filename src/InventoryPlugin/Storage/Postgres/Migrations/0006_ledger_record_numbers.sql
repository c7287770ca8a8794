-- Version 6 changes SQLite's schema only: there the ledger's per-record index moved from text keys to
-- a small integer number per record, to shrink the pages the single writer's commits write.
-- PostgreSQL keeps its text keys: its platform path is bound by round trips and commit flushes, not by
-- the pages a commit writes (docs/benchmarks.md). The script keeps the versions in step, so a schema
-- version names the same release on both stores.
SELECT 1;

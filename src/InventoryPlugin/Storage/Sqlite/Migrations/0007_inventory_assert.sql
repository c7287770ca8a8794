-- Version 7 changes PostgreSQL's schema only: there the platform path sends its writes and its COMMIT in
-- one round trip, and a function lets a statement fail its transaction when what it did is not what the
-- application judged. SQLite's single writer checks between its statements and commits on its own. The
-- script keeps the versions in step, so a schema version names the same release on both stores.
SELECT 1;

-- senior-backend: no-transaction
-- senior-backend migration skeleton (up). Copy to migrations/<timestamp>_<name>.up.sql, keep the
-- recipes you need, delete the rest, and replace the example tables (from examples/schema.sql).
--
-- Why it looks like this (references/database_optimization_guide.md, "Zero-downtime migration recipes"):
-- * lock_timeout: a DDL statement that cannot get its lock within 3 s fails (SQLSTATE 55P03) instead of
--   queueing every other query on the table behind it. Re-run the migration; it is written to be re-runnable.
-- * statement_timeout: bounds each statement; lifted only around the non-blocking long steps.
-- * CREATE INDEX CONCURRENTLY cannot run inside a transaction block, so the first line above tells the
--   runner to run this file statement by statement instead of in one transaction (keep it the FIRST line;
--   drop it when the file has no CONCURRENTLY, and the runner wraps it in a transaction). Without the
--   transaction a failure can stop halfway, which is why every step checks whether it already happened
--   (IF NOT EXISTS, duplicate_object handlers): fix the cause and re-run the whole file.
-- Check it before it ships:
--   python scripts/database_migration_tool.py --lint migrations/
--   python scripts/database_migration_tool.py --connection "$DATABASE_URL" --migrate migrations/ --dry-run

SET lock_timeout = '3s';
SET statement_timeout = '60s';

-- 1. Expand: a new nullable column without a volatile default changes only the catalog.
ALTER TABLE orders ADD COLUMN IF NOT EXISTS shipped_at timestamptz;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS user_id bigint;

-- 2. Index an existing table without blocking writes. A failed concurrent build leaves an INVALID index:
--    DROP INDEX CONCURRENTLY it, then re-run.
SET statement_timeout = 0;
CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx ON orders (user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_log_user_id_idx ON audit_log (user_id);
SET statement_timeout = '60s';

-- 3. Foreign key: add NOT VALID (instant, checks new rows only), then VALIDATE (scans without blocking writes).
DO $$
BEGIN
  ALTER TABLE audit_log ADD CONSTRAINT audit_log_user_id_fkey
    FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;
EXCEPTION WHEN duplicate_object THEN NULL;
END;
$$;
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_user_id_fkey;

-- 4. Check constraint: same two steps.
DO $$
BEGIN
  ALTER TABLE order_items ADD CONSTRAINT order_items_quantity_max CHECK (quantity <= 1000) NOT VALID;
EXCEPTION WHEN duplicate_object THEN NULL;
END;
$$;
ALTER TABLE order_items VALIDATE CONSTRAINT order_items_quantity_max;

-- 5. SET NOT NULL without a full-table scan under ACCESS EXCLUSIVE (PostgreSQL 12+): a validated
--    CHECK (col IS NOT NULL) proves it, then the check is dropped. Backfill NULLs in batches first.
UPDATE audit_log SET actor = 'system' WHERE actor IS NULL;
DO $$
BEGIN
  ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_not_null CHECK (actor IS NOT NULL) NOT VALID;
EXCEPTION WHEN duplicate_object THEN NULL;
END;
$$;
ALTER TABLE audit_log VALIDATE CONSTRAINT audit_log_actor_not_null;
ALTER TABLE audit_log ALTER COLUMN actor SET NOT NULL;
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_actor_not_null;

RESET statement_timeout;
RESET lock_timeout;

-- senior-backend: no-transaction
-- senior-backend migration skeleton (down): undoes migration.up.sql step by step, in reverse order.
-- Copy to migrations/<timestamp>_<name>.down.sql beside its up file. Same safety settings as the up file;
-- every step is re-runnable (IF EXISTS), because DROP INDEX CONCURRENTLY also runs outside a transaction
-- (the first line marks the file for the runner's no-transaction mode).
-- A down migration that drops a column loses the data written since the up migration: the lint reports
-- it (ban-drop-column), and that finding is expected here; say so in review.

SET lock_timeout = '3s';
SET statement_timeout = '60s';

-- 5. Undo SET NOT NULL (catalog only).
ALTER TABLE audit_log ALTER COLUMN actor DROP NOT NULL;

-- 4. Undo the check constraint.
ALTER TABLE order_items DROP CONSTRAINT IF EXISTS order_items_quantity_max;

-- 3. Undo the foreign key.
ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_user_id_fkey;

-- 2. Drop the indexes without blocking reads and writes (one index per statement).
SET statement_timeout = 0;
DROP INDEX CONCURRENTLY IF EXISTS audit_log_user_id_idx;
DROP INDEX CONCURRENTLY IF EXISTS orders_user_id_idx;
SET statement_timeout = '60s';

-- 1. Contract: drop the added columns (data loss: the values written since the up migration).
ALTER TABLE audit_log DROP COLUMN IF EXISTS user_id;
ALTER TABLE orders DROP COLUMN IF EXISTS shipped_at;

RESET statement_timeout;
RESET lock_timeout;

CREATE TABLE ledger (id bigint PRIMARY KEY, owner text NOT NULL, amount int NOT NULL);
ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE VIEW positive WITH (security_barrier, security_invoker = true) AS
    SELECT id, amount FROM ledger WHERE amount > 0 WITH CASCADED CHECK OPTION;
CREATE VIEW mine WITH (security_invoker) AS SELECT id, amount FROM ledger WHERE owner = current_user;
CREATE VIEW audit AS SELECT id FROM ledger WITH LOCAL CHECK OPTION;
CREATE MATERIALIZED VIEW totals WITH (fillfactor = 70) AS SELECT owner, sum(amount) AS total FROM ledger GROUP BY owner;

CREATE TABLE ledger (id bigint PRIMARY KEY, owner text NOT NULL, amount int NOT NULL);
ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
CREATE VIEW positive AS SELECT id, amount FROM ledger WHERE amount > 0;
CREATE VIEW mine AS SELECT id, amount FROM ledger WHERE owner = current_user;
CREATE MATERIALIZED VIEW totals AS SELECT owner, sum(amount) AS total FROM ledger GROUP BY owner;

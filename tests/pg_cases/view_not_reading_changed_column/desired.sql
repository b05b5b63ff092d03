CREATE TABLE customers (id int PRIMARY KEY, email varchar(200));
CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers, paid bool, total numeric);
INSERT INTO customers VALUES (1, 'ann@example.com');
INSERT INTO orders VALUES (10, 1, true, 12.5);
CREATE VIEW paid_orders AS
    SELECT o.id, o.total, c.id AS customer FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.paid;
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
CREATE VIEW customer_rows AS SELECT c FROM customers c;
COMMENT ON VIEW paid_orders IS 'orders that are paid';
COMMENT ON VIEW customer_emails IS 'who to write to';
CREATE INDEX orders_total_idx ON orders (total);
GRANT SELECT ON paid_orders, customer_emails TO PUBLIC;

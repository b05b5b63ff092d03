-- Statements for `--suggest-indexes --queries examples/slow_queries.sql` against a database loaded
-- with examples/schema.sql: a foreign-key join, a filter with ORDER BY ... LIMIT, an unindexed filter.
SELECT o.id, o.placed_at FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email = 'ada@example.com';
SELECT id, status FROM orders WHERE user_id = 42 ORDER BY placed_at DESC LIMIT 20;
SELECT * FROM order_items WHERE product_id = 7;

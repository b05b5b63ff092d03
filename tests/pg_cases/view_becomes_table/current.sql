CREATE TABLE products (id int PRIMARY KEY, name text, active boolean);
CREATE VIEW active_products AS SELECT id, name FROM products WHERE active;
CREATE VIEW active_product_names AS SELECT name FROM active_products;

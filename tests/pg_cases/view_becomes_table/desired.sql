CREATE TABLE products (id int PRIMARY KEY, name text, active boolean);
CREATE TABLE active_products (id int, name text);
CREATE VIEW active_product_names AS SELECT name FROM active_products;

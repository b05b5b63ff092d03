CREATE TABLE products (id int PRIMARY KEY, name text, active boolean);
CREATE TABLE active_products (id int, name text);

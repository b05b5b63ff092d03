CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE orders (id int PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');
CREATE TABLE notes (id int PRIMARY KEY);
INSERT INTO orders VALUES (1, 'paid');

CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_id bigint NOT NULL, note text DEFAULT '');
INSERT INTO orders VALUES (1, 1);
ALTER TABLE orders ADD FOREIGN KEY (user_id) REFERENCES users (id);
CREATE INDEX orders_user_idx ON orders (user_id, id);
CREATE VIEW o AS SELECT id, note FROM orders;
CREATE TYPE status AS ENUM ('a', 'b');

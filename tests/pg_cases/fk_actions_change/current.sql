CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);
CREATE TABLE orders (id int PRIMARY KEY, user_id bigint);
INSERT INTO orders VALUES (1, 1);
ALTER TABLE orders ADD CONSTRAINT orders_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id);

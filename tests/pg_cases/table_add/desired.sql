CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE, total numeric(10, 2) DEFAULT 0 CHECK (total >= 0));
CREATE INDEX orders_user_id_idx ON orders (user_id);

CREATE TYPE order_status AS ENUM ('new', 'paid', 'refunded', 'shipped');
CREATE TABLE orders (id int PRIMARY KEY, status order_status NOT NULL DEFAULT 'new', previous_status order_status);
CREATE TABLE notes (id int PRIMARY KEY);
CREATE TABLE refunds (id int PRIMARY KEY, order_id int REFERENCES orders (id), status order_status DEFAULT 'refunded');
CREATE FUNCTION is_final(s order_status) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT s IN ('refunded', 'shipped') $$;
CREATE PROCEDURE mark(o int, s order_status) LANGUAGE sql AS $$ UPDATE orders SET status = s WHERE id = o $$;

-- Version 2 of examples/schema.sql, the desired state for `--compare examples/schema_v2.sql`:
-- foreign keys indexed, the duplicate index gone, a new nullable column, a check constraint
-- and a primary key for the audit log. Every change here can be made without losing data.
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled');

CREATE TABLE users (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz
);

CREATE TABLE products (
    id          serial PRIMARY KEY,
    sku         varchar(32) NOT NULL UNIQUE,
    title       text NOT NULL,
    price_cents integer NOT NULL CHECK (price_cents >= 0)
);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    status      order_status NOT NULL DEFAULT 'pending',
    placed_at   timestamp NOT NULL DEFAULT now()
);

CREATE TABLE order_items (
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  integer REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_user_id_idx ON orders (user_id);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
ALTER TABLE users ADD CONSTRAINT users_email_lower CHECK (email = lower(email));

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    happened_at timestamptz NOT NULL DEFAULT now(),
    actor       text,
    action      text NOT NULL
);

-- The planted test database: a small shop with deliberate problems (see conftest.py for the list).
CREATE TABLE customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL,
    country     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_country_idx ON customers (country);

CREATE TABLE products (
    id          serial PRIMARY KEY,
    sku         varchar(32) NOT NULL UNIQUE,
    title       text NOT NULL
);
CREATE INDEX products_sku_idx ON products (sku);

CREATE TABLE orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status      text NOT NULL,
    created_at  timestamptz NOT NULL,
    total_cents integer NOT NULL
);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_status_created_idx ON orders (status, created_at);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX orders_created_copy_idx ON orders (created_at);

CREATE TABLE order_items (
    order_id    bigint NOT NULL REFERENCES orders (id),
    product_id  integer NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL,
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE shipments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL,
    product_id  integer NOT NULL,
    shipped_at  timestamptz NOT NULL,
    FOREIGN KEY (order_id, product_id) REFERENCES order_items (order_id, product_id)
);
CREATE INDEX shipments_product_order_idx ON shipments (product_id, order_id);

CREATE TABLE returns (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL,
    product_id  integer NOT NULL,
    reason      text,
    FOREIGN KEY (order_id, product_id) REFERENCES order_items (order_id, product_id)
);
CREATE INDEX returns_order_idx ON returns (order_id);

CREATE TABLE audit_events (
    happened_at timestamp NOT NULL DEFAULT now(),
    customer_id bigint REFERENCES customers (id),
    action      text NOT NULL
);
ALTER TABLE audit_events SET (autovacuum_enabled = false);

CREATE TABLE tiny_notes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    note        text
);

CREATE TABLE events (
    id          bigint GENERATED ALWAYS AS IDENTITY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    kind        text NOT NULL,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');

CREATE SEQUENCE ticket_seq AS integer;
SELECT setval('ticket_seq', 2000000000);

INSERT INTO customers (email, country)
SELECT 'user' || g || '@example.com', (ARRAY['de', 'fr', 'us', 'jp'])[1 + g % 4] FROM generate_series(1, 5000) g;
INSERT INTO products (sku, title) SELECT 'SKU-' || g, 'Product ' || g FROM generate_series(1, 500) g;
INSERT INTO orders (customer_id, status, created_at, total_cents)
SELECT 1 + g % 5000, (ARRAY['pending', 'paid', 'shipped'])[1 + g % 3],
       timestamptz '2025-01-01' + g * interval '7 minutes', g % 10000
FROM generate_series(1, 30000) g;
INSERT INTO order_items (order_id, product_id, quantity)
SELECT o, 1 + (o * 7 + k) % 500, 1 + k FROM generate_series(1, 30000) o, generate_series(0, 1) k;
INSERT INTO shipments (order_id, product_id, shipped_at)
SELECT order_id, product_id, now() FROM order_items WHERE order_id <= 2000 AND quantity = 1;
INSERT INTO returns (order_id, product_id, reason)
SELECT order_id, product_id, 'damaged' FROM order_items WHERE order_id <= 1500 AND quantity = 2;
INSERT INTO audit_events (customer_id, action) SELECT 1 + g % 5000, 'login' FROM generate_series(1, 4000) g;
DELETE FROM audit_events WHERE customer_id % 2 = 0;
INSERT INTO tiny_notes (customer_id, note) SELECT g, 'hello' FROM generate_series(1, 5) g;
INSERT INTO events (customer_id, kind, created_at)
SELECT 1 + g % 50, (ARRAY['view', 'click'])[1 + g % 2], timestamptz '2024-01-01' + g * interval '40 minutes'
FROM generate_series(1, 36000) g;

ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total_cents >= 0) NOT VALID;

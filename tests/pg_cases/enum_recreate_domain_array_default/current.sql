CREATE TYPE status AS ENUM ('new', 'active', 'retired', 'archived');
CREATE DOMAIN live_status AS status DEFAULT 'new' CONSTRAINT live_status_not_archived CHECK (VALUE <> 'archived');
CREATE TABLE items (
    id int,
    s live_status,
    history status[] DEFAULT '{new}',
    label text DEFAULT 'new'::status::text,
    plain status DEFAULT 'active' CONSTRAINT items_plain_check CHECK (plain <> 'archived')
);
CREATE INDEX items_active ON items (id) WHERE plain = 'active';
CREATE VIEW active_items AS SELECT id, s FROM items WHERE plain = 'active';
INSERT INTO items VALUES (1, 'active', '{new,active}', 'x', 'new'), (2, DEFAULT, DEFAULT, DEFAULT, DEFAULT);

CREATE TABLE events (id bigint, at date NOT NULL, payload text);

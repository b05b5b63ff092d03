CREATE TABLE events (id bigint, at date NOT NULL, payload text) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
ALTER TABLE events ADD PRIMARY KEY (id, at);
CREATE INDEX events_payload_idx ON events (payload);

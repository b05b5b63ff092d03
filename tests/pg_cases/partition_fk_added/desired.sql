CREATE TABLE tenants (id int PRIMARY KEY);
INSERT INTO tenants VALUES (1), (2);
CREATE TABLE events (at date NOT NULL, tenant_id int NOT NULL REFERENCES tenants (id), kind text CHECK (kind <> ''))
    PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO events VALUES ('2024-03-01', 1, 'a'), ('2025-03-01', 2, 'b');

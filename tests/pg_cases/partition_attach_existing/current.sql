CREATE TABLE events (id bigint, at date NOT NULL, payload text) PARTITION BY RANGE (at);
CREATE TABLE events_2024 (id bigint, at date NOT NULL, payload text);
INSERT INTO events_2024 VALUES (1, '2024-05-01', 'x');

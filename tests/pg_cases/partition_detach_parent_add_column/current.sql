CREATE TABLE measurements (id bigint, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO measurements VALUES (1, '2023-06-01'), (2, '2024-06-01');

CREATE TABLE measurements (id bigint, at date NOT NULL, reading numeric) PARTITION BY RANGE (at);
CREATE TABLE measurements_2023 (id bigint, at date NOT NULL);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');

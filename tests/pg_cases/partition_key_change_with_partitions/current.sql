CREATE TABLE readings (id bigint, sensor int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE z_sensor_notes (id int, body text);
CREATE TABLE z_sensor_notes_extra (flag boolean) INHERITS (z_sensor_notes);

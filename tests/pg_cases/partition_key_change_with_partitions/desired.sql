CREATE TABLE readings (id bigint, sensor int NOT NULL, at date NOT NULL) PARTITION BY LIST (sensor);
CREATE TABLE readings_2024 PARTITION OF readings FOR VALUES IN (1, 2);
CREATE TABLE z_sensor_notes (id int, body text) PARTITION BY HASH (id);
CREATE TABLE z_sensor_notes_extra (id int, body text, flag boolean);

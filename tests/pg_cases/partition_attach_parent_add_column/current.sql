CREATE TABLE logs (id bigint, at date NOT NULL, level text) PARTITION BY RANGE (at);
CREATE TABLE logs_2024 (id bigint, at date NOT NULL, level text);
INSERT INTO logs_2024 VALUES (1, '2024-03-01', 'info');

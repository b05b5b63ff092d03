CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int, nickname text);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);

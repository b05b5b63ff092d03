CREATE TABLE users (id bigint PRIMARY KEY, email text, age int);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);

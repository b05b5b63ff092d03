CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age bigint);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);
CREATE VIEW v AS SELECT id, age FROM users;
CREATE VIEW v2 AS SELECT age FROM v;

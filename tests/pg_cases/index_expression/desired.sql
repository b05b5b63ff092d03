CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);
CREATE UNIQUE INDEX users_lower_email ON users (lower(email));

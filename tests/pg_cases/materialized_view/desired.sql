CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL, age int);
INSERT INTO users VALUES (1, 'a@x', 30), (2, 'b@x', NULL);
CREATE MATERIALIZED VIEW stats AS SELECT count(*) AS n FROM users;
CREATE UNIQUE INDEX stats_n ON stats (n);

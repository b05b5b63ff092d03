CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');
CREATE TABLE people (name text, m mood DEFAULT 'ok');
INSERT INTO people VALUES ('x', 'sad');

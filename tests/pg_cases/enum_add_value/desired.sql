CREATE TYPE mood AS ENUM ('sad', 'ok', 'content', 'happy', 'ecstatic');
CREATE TABLE people (name text, m mood DEFAULT 'ok');
INSERT INTO people VALUES ('x', 'sad');

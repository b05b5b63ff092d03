CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE people (name text, m mood DEFAULT 'ok');
INSERT INTO people VALUES ('x', 'sad');

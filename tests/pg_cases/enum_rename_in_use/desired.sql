CREATE TYPE feeling AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE people (name text, m feeling DEFAULT 'ok');
INSERT INTO people VALUES ('x', 'sad');

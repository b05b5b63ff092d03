CREATE TYPE mood AS ENUM ('happy', 'ok', 'sad');

CREATE TABLE people (
    id integer PRIMARY KEY,
    m text DEFAULT 'ok',
    tags mood[],
    note mood,
    level varchar(10) NOT NULL
);
CREATE VIEW moods AS SELECT id, m, level FROM people;

INSERT INTO people VALUES (1, 'sad', '{ok}', 'happy', 'ok');

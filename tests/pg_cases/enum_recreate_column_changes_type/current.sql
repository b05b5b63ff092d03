CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');

CREATE TABLE people (
    id integer PRIMARY KEY,
    m mood DEFAULT 'ok',
    tags text[],
    note text,
    level mood NOT NULL
);
CREATE VIEW moods AS SELECT id, m, level FROM people;

INSERT INTO people VALUES (1, 'sad', '{ok}', 'happy', 'ok');

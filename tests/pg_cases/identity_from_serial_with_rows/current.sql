CREATE TABLE tickets (id serial PRIMARY KEY, title text NOT NULL);
INSERT INTO tickets (title) SELECT 'ticket ' || n FROM generate_series(1, 7) AS n;
DELETE FROM tickets WHERE id = 7;

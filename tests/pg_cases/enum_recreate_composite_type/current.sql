CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');
CREATE TYPE reading AS (m mood, taken_at timestamp with time zone);

CREATE TABLE diary (
    id integer PRIMARY KEY,
    latest reading,
    history reading[] NOT NULL DEFAULT '{}'
);
CREATE FUNCTION mood_of(r reading) RETURNS text
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT (r).m::text $$;

CREATE FUNCTION readings_of(p_id integer) RETURNS TABLE(r reading, "the label" text)
    LANGUAGE sql STABLE
    AS $$ SELECT latest, 'latest' FROM diary WHERE id = p_id $$;

CREATE VIEW latest_moods AS SELECT id, (latest).m AS m FROM diary;

INSERT INTO diary VALUES
    (1, ROW('ok', '2026-01-02 03:04:05+00'), ARRAY[ROW('sad', '2026-01-01 00:00:00+00')::reading]),
    (2, NULL, DEFAULT);

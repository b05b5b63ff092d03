CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');

CREATE FUNCTION default_mood() RETURNS mood
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT 'ok'::mood $$;

CREATE TABLE people (
    id integer PRIMARY KEY,
    name text NOT NULL,
    m mood NOT NULL DEFAULT default_mood()
);

CREATE FUNCTION cheer(m mood) RETURNS mood
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT CASE WHEN m = 'sad' THEN 'ok'::mood ELSE m END $$;

CREATE FUNCTION set_mood(p_id integer, p_m mood) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE people SET m = p_m WHERE id = p_id;
END;
$$;

CREATE FUNCTION happiest() RETURNS SETOF people
    LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT * FROM people WHERE m = 'happy'::mood;
END;

CREATE VIEW cheered AS SELECT id, name, cheer(m) AS m FROM people;

INSERT INTO people (id, name, m) VALUES (1, 'ann', 'sad'), (2, 'bob', 'happy'), (3, 'cy', DEFAULT);

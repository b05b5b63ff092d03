CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic');
CREATE DOMAIN known_mood AS mood NOT NULL;
CREATE DOMAIN good_mood AS known_mood CONSTRAINT good_mood_not_sad CHECK (VALUE::mood <> 'sad');
CREATE DOMAIN loud_mood AS mood CONSTRAINT loud_mood_check CHECK (VALUE <> 'ok');

CREATE TABLE diary (
    id integer PRIMARY KEY,
    g good_mood,
    l loud_mood,
    moods good_mood[]
);
CREATE FUNCTION is_good(g good_mood) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$ SELECT g IS NOT NULL $$;

CREATE VIEW good_days AS SELECT id, g FROM diary;

INSERT INTO diary VALUES (1, 'happy', 'sad', '{happy}');

CREATE TABLE base (created_at timestamptz NOT NULL DEFAULT now(), e text);
CREATE TABLE a (a1 int) INHERITS (base);
CREATE TABLE b (b1 int) INHERITS (base);
INSERT INTO a (created_at, e, a1) VALUES ('2024-01-01', 'kept', 1);
INSERT INTO b (created_at, e, b1) VALUES ('2024-01-01', 'gone', 2);

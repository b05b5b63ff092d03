CREATE TABLE base (created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE a (a1 int, e text) INHERITS (base);
CREATE TABLE b (b1 int) INHERITS (base);

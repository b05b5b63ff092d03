CREATE FUNCTION dbl(n int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT n * 2';
CREATE TABLE t (v int, w int GENERATED ALWAYS AS (dbl(v)) STORED, note text);
INSERT INTO t (v, note) VALUES (1, 'a'), (7, 'b');
CREATE INDEX t_dbl ON t (dbl(v)) WHERE dbl(v) > 10;
CREATE INDEX t_w ON t (w);
CREATE VIEW t_view AS SELECT v, w FROM t;

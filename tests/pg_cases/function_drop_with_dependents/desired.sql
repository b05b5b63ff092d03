CREATE FUNCTION bump(x int) RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT x::bigint + 1';
CREATE TABLE t (
    a int DEFAULT bump(1) CHECK (bump(a) > 0),
    owner_id int
);
INSERT INTO t VALUES (5, 1);
ALTER TABLE t ENABLE ROW LEVEL SECURITY;
CREATE POLICY t_visible ON t USING (bump(owner_id) > 1);

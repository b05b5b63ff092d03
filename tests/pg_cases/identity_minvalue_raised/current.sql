CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY, v text);
INSERT INTO t (v) VALUES ('x'), ('y');

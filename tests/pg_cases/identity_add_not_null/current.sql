CREATE TABLE t (id int, v text);
INSERT INTO t VALUES (1, 'x'), (2, 'y');

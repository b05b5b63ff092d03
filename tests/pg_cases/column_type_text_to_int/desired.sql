CREATE TABLE t (code integer);

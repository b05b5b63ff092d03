CREATE TABLE t (status text DEFAULT 'new', created timestamptz);

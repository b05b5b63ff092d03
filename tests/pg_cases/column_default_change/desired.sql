CREATE TABLE t (status text DEFAULT 'open', created timestamptz DEFAULT now());

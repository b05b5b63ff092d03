CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN posint AS integer NOT NULL DEFAULT 1 CONSTRAINT positive CHECK (VALUE > 0);
CREATE TABLE t (id int, e email, n posint);

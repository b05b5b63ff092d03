CREATE TABLE t (id serial PRIMARY KEY, name text);
CREATE TABLE big (id bigserial PRIMARY KEY, s smallserial);

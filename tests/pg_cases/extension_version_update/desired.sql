CREATE EXTENSION cube VERSION '1.5';
CREATE EXTENSION pg_trgm VERSION '1.6';
CREATE TABLE settings (id int, name text);

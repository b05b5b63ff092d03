CREATE EXTENSION cube VERSION '1.4';
CREATE EXTENSION pg_trgm VERSION '1.5';
CREATE TABLE settings (id int, name text);

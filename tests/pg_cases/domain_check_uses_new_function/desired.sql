CREATE FUNCTION is_valid_sku(value text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT value ~ '^[A-Z]{3}-[0-9]+$' $$;
CREATE DOMAIN sku AS text CHECK (is_valid_sku(VALUE));
CREATE TABLE t (id int, code sku);

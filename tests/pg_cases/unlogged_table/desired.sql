CREATE UNLOGGED TABLE cache (k text, v text);

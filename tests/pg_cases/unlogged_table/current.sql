CREATE TABLE cache (k text, v text);

CREATE TABLE people (name text);

CREATE TYPE pair AS (a bigint, c date);
CREATE TYPE point3 AS (x float8, y float8, z float8);
CREATE TABLE shapes (p point3);

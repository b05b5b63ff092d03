CREATE TYPE q AS ENUM ('it''s');

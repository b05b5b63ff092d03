CREATE TYPE q AS ENUM ('it''s', 'say "hi"', 'back\slash', 'semi;colon');

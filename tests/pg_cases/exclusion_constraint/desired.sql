CREATE TABLE booking (room int, during tsrange, CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&));

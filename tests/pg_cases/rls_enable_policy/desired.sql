CREATE TABLE docs (id int, owner text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs USING (owner = current_user);
CREATE POLICY ins ON docs AS RESTRICTIVE FOR INSERT TO sb_writer WITH CHECK (owner = current_user);

CREATE TABLE docs (id int, owner text);
ALTER TABLE docs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON docs FOR SELECT TO sb_reader, sb_writer USING (owner = current_user OR id < 10);

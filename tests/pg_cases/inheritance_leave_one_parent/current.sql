CREATE TABLE audited (changed_at timestamptz, changed_by text);
CREATE TABLE tagged (tags text[], color text);
CREATE TABLE documents (id int, title text) INHERITS (audited, tagged);
CREATE TABLE images (id int) INHERITS (tagged);
INSERT INTO documents (id, title, tags, color) VALUES (1, 'doc', '{a}', 'red');

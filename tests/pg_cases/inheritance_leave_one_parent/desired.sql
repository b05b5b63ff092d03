CREATE TABLE audited (changed_at timestamptz, changed_by text);
CREATE TABLE tagged (tags text[]);
CREATE TABLE documents (id int, title text, tags text[]) INHERITS (audited);
CREATE TABLE images (id int) INHERITS (tagged);

CREATE TYPE status AS ENUM ('new', 'doing', 'done');
CREATE TABLE tasks (id int, s status DEFAULT 'doing', CHECK (s <> 'doing' OR id > 0));

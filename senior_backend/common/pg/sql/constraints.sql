-- One row per table constraint (primary key, unique, foreign key, check, exclusion).
-- Primary keys and unique constraints are spelled here exactly as pg_get_constraintdef spells
-- them (it would look up the same catalog rows one by one); the others go through it. Only a
-- UNIQUE constraint says NULLS NOT DISTINCT: PostgreSQL 15 lets a primary key adopt such an index
-- (USING INDEX), and pg_get_constraintdef still spells it a plain PRIMARY KEY. A temporal key
-- (PostgreSQL 18's WITHOUT OVERLAPS) goes through pg_get_constraintdef too.
SELECT n.nspname AS schema, c.relname AS table_name, con.conname AS name, con.contype AS kind,
       CASE WHEN con.contype IN ('p', 'u') AND i.indexrelid IS NOT NULL AND NOT {without_overlaps}
            THEN CASE con.contype WHEN 'p' THEN 'PRIMARY KEY ' ELSE 'UNIQUE ' END
                 || CASE WHEN con.contype = 'u' AND {nulls_not_distinct} THEN 'NULLS NOT DISTINCT ' ELSE '' END
                 || '(' || k.key_list || ')'
                 || coalesce(' INCLUDE (' || (
                      SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY c.ord)
                        FROM unnest((i.indkey::int2[])[i.indnkeyatts:]) WITH ORDINALITY AS c(attnum, ord)
                        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = c.attnum
                    ) || ')', '')
                 || CASE WHEN con.condeferrable THEN ' DEFERRABLE' ELSE '' END
                 || CASE WHEN con.condeferred THEN ' INITIALLY DEFERRED' ELSE '' END
                 || CASE WHEN con.convalidated THEN '' ELSE ' NOT VALID' END
            ELSE pg_get_constraintdef(con.oid) END AS definition,
       k.columns,
       CASE WHEN con.contype = 'f' THEN quote_ident(fn.nspname) || '.' || quote_ident(fc.relname) END AS ref_table,
       (SELECT array_agg(a.attname ORDER BY k.ord)
          FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS ref_columns,
       con.convalidated AS validated, con.condeferrable AS deferrable, con.condeferred AS deferred,
       con.conislocal AS is_local, con.conparentid <> 0 AS inherited_from_partition,
       ds.description AS comment
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
  SELECT array_agg(a.attname ORDER BY k.ord) AS columns,
         string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) AS key_list
    FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
) k
LEFT JOIN pg_index i ON i.indexrelid = con.conindid AND con.contype IN ('p', 'u')
LEFT JOIN pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_description ds ON ds.objoid = con.oid AND ds.classoid = 'pg_constraint'::regclass AND ds.objsubid = 0
WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
ORDER BY 1, 2, 3;

-- One row per sequence with its options and the column that owns it, if any.
SELECT n.nspname AS schema, c.relname AS name, format_type(s.seqtypid, NULL) AS data_type,
       s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min_value, s.seqmax AS max_value,
       s.seqcache AS cache, s.seqcycle AS cycle,
       (SELECT quote_ident(tn.nspname) || '.' || quote_ident(t.relname) || '.' || quote_ident(a.attname)
          FROM pg_depend d
          JOIN pg_class t ON t.oid = d.refobjid
          JOIN pg_namespace tn ON tn.oid = t.relnamespace
          JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
         WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')
         LIMIT 1) AS owned_by,
       EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i') AS is_identity,
       ps.last_value AS last_value,
       obj_description(c.oid, 'pg_class') AS comment,
       pg_get_userbyid(c.relowner) AS owner
FROM pg_sequence s
JOIN pg_class c ON c.oid = s.seqrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_sequences ps ON ps.schemaname = n.nspname AND ps.sequencename = c.relname
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
ORDER BY 1, 2;

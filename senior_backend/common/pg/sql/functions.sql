-- One row per function and procedure (aggregates and window functions are reported as not covered),
-- with the table row types its signature uses (it must then be created after those tables).
SELECT n.nspname AS schema, p.proname AS name,
       pg_get_function_identity_arguments(p.oid) AS identity_args,
       p.prokind AS kind,
       pg_get_function_result(p.oid) AS result,
       pg_get_function_arguments(p.oid) AS arguments,
       (SELECT string_agg(format_type(t, NULL), ', ' ORDER BY i) FROM unnest(p.proargtypes) WITH ORDINALITY AS a(t, i))
         AS arg_types,
       l.lanname AS language,
       pg_get_functiondef(p.oid) AS definition,
       (SELECT array_agg(DISTINCT quote_ident(rn.nspname) || '.' || quote_ident(r.relname))
          FROM pg_depend d JOIN pg_type dt ON dt.oid = d.refobjid
          JOIN pg_class r ON r.oid = dt.typrelid AND r.relkind IN ('r', 'p', 'v', 'm')
          JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
           AND d.refclassid = 'pg_type'::regclass) AS uses_tables,
       obj_description(p.oid, 'pg_proc') AS comment,
       pg_get_userbyid(p.proowner) AS owner
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3;

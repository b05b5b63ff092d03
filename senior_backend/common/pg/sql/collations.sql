-- One row per user-defined collation (provider 'c' libc, 'i' ICU, 'b' builtin on 17+; the ICU or
-- builtin locale in icu_locale).
SELECT n.nspname AS schema, co.collname AS name, co.collprovider AS provider,
       co.collisdeterministic AS deterministic, co.collcollate AS lc_collate, co.collctype AS lc_ctype,
       coalesce(to_jsonb(co) ->> 'colliculocale', to_jsonb(co) ->> 'colllocale') AS icu_locale,
       obj_description(co.oid, 'pg_collation') AS comment
FROM pg_collation co
JOIN pg_namespace n ON n.oid = co.collnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND NOT n.nspname = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_collation'::regclass AND d.objid = co.oid AND d.deptype = 'e')
ORDER BY 1, 2;

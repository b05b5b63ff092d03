-- One row per user trigger (not the internal ones behind foreign keys).
SELECT n.nspname AS schema, c.relname AS table_name, tg.tgname AS name,
       pg_get_triggerdef(tg.oid) AS definition, tg.tgenabled AS enabled,
       quote_ident(pn.nspname) || '.' || quote_ident(p.proname)
         || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS function_key,
       obj_description(tg.oid, 'pg_trigger') AS comment
FROM pg_trigger tg
JOIN pg_class c ON c.oid = tg.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_proc p ON p.oid = tg.tgfoid
JOIN pg_namespace pn ON pn.oid = p.pronamespace
WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
ORDER BY 1, 2, 3;

-- One row per row-level security policy.
SELECT n.nspname AS schema, c.relname AS table_name, pol.polname AS name,
       pol.polpermissive AS permissive,
       CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE'
                       WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
       (SELECT array_agg(CASE WHEN r = 0 THEN 'public' ELSE quote_ident(pg_get_userbyid(r)) END ORDER BY 1)
          FROM unnest(pol.polroles) AS r) AS roles,
       pg_get_expr(pol.polqual, pol.polrelid) AS using_expr,
       pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expr,
       obj_description(pol.oid, 'pg_policy') AS comment
FROM pg_policy pol
JOIN pg_class c ON c.oid = pol.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND NOT n.nspname = ANY(%(excluded)s)
ORDER BY 1, 2, 3;

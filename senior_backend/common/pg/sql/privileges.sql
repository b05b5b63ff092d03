-- One row per granted privilege on schemas, tables, views, sequences, columns, functions and types,
-- the owner's own implicit privileges left out; PUBLIC appears as grantee 'PUBLIC'. Schemas, tables
-- and sequences with the default ACL (NULL) grant nothing to anyone but their owner, so only those
-- with an ACL are read; functions and types grant to PUBLIC by default and are always read.
WITH objects AS (
  SELECT 'schema' AS object_kind, quote_ident(n.nspname) AS object_key, NULL::text AS column_name,
         n.nspacl AS acl, n.nspowner AS owner, n.nspname AS schema,
         'pg_namespace'::regclass AS cls, n.oid
    FROM pg_namespace n
   WHERE n.nspacl IS NOT NULL
  UNION ALL
  SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname), NULL,
         c.relacl, c.relowner, n.nspname, 'pg_class'::regclass, c.oid
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relacl IS NOT NULL
  UNION ALL
  SELECT 'column', quote_ident(n.nspname) || '.' || quote_ident(c.relname), a.attname,
         a.attacl, c.relowner, n.nspname, 'pg_class'::regclass, c.oid
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
         quote_ident(n.nspname) || '.' || quote_ident(p.proname)
           || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
         coalesce(p.proacl, acldefault('f', p.proowner)), p.proowner, n.nspname, 'pg_proc'::regclass, p.oid
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE p.prokind IN ('f', 'p')
  UNION ALL
  SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END,
         quote_ident(n.nspname) || '.' || quote_ident(t.typname), NULL,
         coalesce(t.typacl, acldefault('T', t.typowner)), t.typowner, n.nspname, 'pg_type'::regclass, t.oid
    FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
   WHERE t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND EXISTS (
           SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
)
SELECT o.object_kind, o.object_key, o.column_name,
       CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee) END AS grantee,
       x.privilege_type AS privilege, x.is_grantable AS grantable
FROM objects o, aclexplode(o.acl) AS x
WHERE x.grantee <> o.owner
  AND o.schema NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND o.schema !~ '^pg_(toast_)?temp_'
  AND NOT o.schema = ANY(%(excluded)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = o.cls AND d.objid = o.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3, 4, 5;

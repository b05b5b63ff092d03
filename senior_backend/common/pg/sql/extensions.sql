-- One row per installed extension, with the versions it can be updated to and whether objects
-- outside it depend on its members (then it cannot be dropped and recreated without CASCADE).
SELECT e.extname AS name, n.nspname AS schema, e.extversion AS version,
       (SELECT array_agg(u.target ORDER BY u.target) FROM pg_extension_update_paths(e.extname) u
         WHERE u.source = e.extversion AND u.path IS NOT NULL) AS update_targets,
       EXISTS (SELECT 1 FROM pg_depend m
                 JOIN pg_depend d ON d.refclassid = m.classid AND d.refobjid = m.objid AND d.deptype = 'n'
                      AND d.classid IN ('pg_class'::regclass, 'pg_attrdef'::regclass, 'pg_constraint'::regclass,
                                        'pg_type'::regclass, 'pg_proc'::regclass, 'pg_rewrite'::regclass,
                                        'pg_trigger'::regclass, 'pg_policy'::regclass)
                WHERE m.refclassid = 'pg_extension'::regclass AND m.refobjid = e.oid AND m.deptype = 'e'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend x
                                   WHERE x.classid = d.classid AND x.objid = d.objid AND x.deptype = 'e'))
         AS in_use
FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace
ORDER BY 1;

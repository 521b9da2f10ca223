-- The database catalog in one query: every user schema's tables, views, columns, keys,
-- foreign keys, enums and functions, as one JSON document. See NOTES.md for the quirks.
-- {{part}} and {{parts}} are replaced by numbers before it is sent (`document` in lib.rs).
WITH
  nsp AS (
    SELECT n.oid, n.nspname
      FROM pg_catalog.pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'hdb_catalog', 'hdb_views')
       AND n.nspname NOT LIKE 'pg\_toast%'
       AND n.nspname NOT LIKE 'pg\_temp\_%'
  ),
  all_rels AS (
    SELECT c.oid, nsp.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
           d.description
      FROM pg_catalog.pg_class c
      JOIN nsp ON nsp.oid = c.relnamespace
      LEFT JOIN pg_catalog.pg_description d
        ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
     WHERE c.relkind IN ('r', 'v', 'm', 'f', 'p')
  ),
  -- The tables of this part of the document: those whose oid's hash leaves {{part}} when
  -- divided by {{parts}} (the whole catalog is read as one part, or as several at once; the
  -- oids themselves would not do, as every table takes the same number of them).
  rels AS (
    SELECT *
      FROM all_rels
     WHERE (pg_catalog.hashoid(all_rels.oid) & 2147483647) % {{parts}} = {{part}}
  ),
  cols AS (
    SELECT a.attrelid, a.attnum, a.attname,
           json_build_object(
             'name', a.attname,
             'position', a.attnum,
             'type', t.typname,
             'type_schema', tn.nspname,
             'type_kind', t.typtype::text,
             'type_category', t.typcategory::text,
             'elem_type', et.typname,
             'elem_schema', etn.nspname,
             'display_type', pg_catalog.format_type(a.atttypid, a.atttypmod),
             'nullable', NOT a.attnotnull,
             'has_default', a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
             'is_identity', a.attidentity <> '',
             'identity_always', a.attidentity = 'a',
             'is_generated', a.attgenerated <> '',
             'description', d.description
           ) AS doc
      FROM pg_catalog.pg_attribute a
      JOIN rels r ON r.oid = a.attrelid
      LEFT JOIN pg_catalog.pg_description d
        ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass
       AND d.objsubid = a.attnum
      JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
      JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
      LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
      LEFT JOIN pg_catalog.pg_namespace etn ON etn.oid = et.typnamespace
     WHERE a.attnum > 0 AND NOT a.attisdropped
  ),
  cons AS (
    SELECT con.oid, con.conrelid, con.contype, con.conname, con.conkey, con.confrelid,
           con.confkey, fr.schema AS ref_schema, fr.name AS ref_name
      FROM pg_catalog.pg_constraint con
      JOIN rels r ON r.oid = con.conrelid
      LEFT JOIN all_rels fr ON fr.oid = con.confrelid
     WHERE con.contype IN ('p', 'u', 'f')
  ),
  -- The key's and the referenced key's column names, in the key's order (joined once for
  -- every constraint rather than looked up per constraint).
  cons_cols AS (
    SELECT k.oid, json_agg(a.attname ORDER BY u.ord) AS columns
      FROM cons k
     CROSS JOIN LATERAL unnest(k.conkey) WITH ORDINALITY AS u(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum
     GROUP BY k.oid
  ),
  cons_refs AS (
    SELECT k.oid, json_agg(a.attname ORDER BY u.ord) AS columns
      FROM cons k
     CROSS JOIN LATERAL unnest(k.confkey) WITH ORDINALITY AS u(attnum, ord)
      JOIN pg_catalog.pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum
     GROUP BY k.oid
  ),
  cols_by_rel AS (
    SELECT c.attrelid, json_agg(c.doc ORDER BY c.attnum) AS columns
      FROM cols c
     GROUP BY c.attrelid
  ),
  cons_by_rel AS (
    SELECT k.conrelid,
           (array_agg(json_build_object('name', k.conname, 'columns', k.columns))
              FILTER (WHERE k.contype = 'p'))[1] AS primary_key,
           json_agg(json_build_object('name', k.conname, 'columns', k.columns) ORDER BY k.conname)
              FILTER (WHERE k.contype = 'u') AS unique_constraints,
           json_agg(json_build_object(
               'name', k.conname, 'columns', k.columns,
               'ref_table', json_build_object('schema', k.ref_schema, 'name', k.ref_name),
               'ref_columns', k.ref_columns) ORDER BY k.conname)
              FILTER (WHERE k.contype = 'f' AND k.ref_name IS NOT NULL) AS foreign_keys
      FROM (SELECT k.conrelid, k.contype, k.conname, k.ref_schema, k.ref_name,
                   cc.columns, cr.columns AS ref_columns
              FROM cons k
              LEFT JOIN cons_cols cc ON cc.oid = k.oid
              LEFT JOIN cons_refs cr ON cr.oid = k.oid) k
     GROUP BY k.conrelid
  ),
  tables AS (
    SELECT json_build_object(
             'schema', r.schema,
             'name', r.name,
             'oid', r.oid::int8,
             'kind', r.kind,
             'description', r.description,
             'insertable', r.kind IN ('r', 'p') OR (pg_catalog.pg_relation_is_updatable(r.oid::regclass, false) & 8) = 8,
             'updatable', r.kind IN ('r', 'p') OR (pg_catalog.pg_relation_is_updatable(r.oid::regclass, false) & 4) = 4,
             'deletable', r.kind IN ('r', 'p') OR (pg_catalog.pg_relation_is_updatable(r.oid::regclass, false) & 16) = 16,
             'columns', coalesce(c.columns, '[]'),
             'primary_key', k.primary_key,
             'unique_constraints', coalesce(k.unique_constraints, '[]'),
             'foreign_keys', coalesce(k.foreign_keys, '[]')
           ) AS doc
      FROM rels r
      LEFT JOIN cols_by_rel c ON c.attrelid = r.oid
      LEFT JOIN cons_by_rel k ON k.conrelid = r.oid
  ),
  enums AS (
    SELECT json_build_object(
             'schema', nsp.nspname,
             'name', t.typname,
             'values', (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid)
           ) AS doc
      FROM pg_catalog.pg_type t
      JOIN nsp ON nsp.oid = t.typnamespace
     WHERE t.typtype = 'e' AND {{part}} = 0
  ),
  functions AS (
    SELECT json_build_object(
             'schema', nsp.nspname,
             'name', p.proname,
             'oid', p.oid::int8,
             'argument_names', coalesce(to_json(p.proargnames), '[]'),
             'argument_types', coalesce((SELECT json_agg(json_build_object('schema', tn.nspname, 'name', t.typname) ORDER BY k.ord)
                                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS k(typ, ord)
                                 JOIN pg_catalog.pg_type t ON t.oid = k.typ
                                 JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace), '[]'),
             'argument_modes', to_json(p.proargmodes::text[]),
             'default_count', p.pronargdefaults,
             'return_type', json_build_object('schema', rtn.nspname, 'name', rt.typname, 'kind', rt.typtype::text),
             'returns_set', p.proretset,
             'volatility', p.provolatile::text,
             'description', obj_description(p.oid, 'pg_proc')
           ) AS doc
      FROM pg_catalog.pg_proc p
      JOIN nsp ON nsp.oid = p.pronamespace
      JOIN pg_catalog.pg_type rt ON rt.oid = p.prorettype
      JOIN pg_catalog.pg_namespace rtn ON rtn.oid = rt.typnamespace
     WHERE p.prokind = 'f' AND {{part}} = 0
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
  )
SELECT json_build_object(
  'tables', coalesce((SELECT json_agg(doc) FROM tables), '[]'),
  'enums', coalesce((SELECT json_agg(doc) FROM enums), '[]'),
  'functions', coalesce((SELECT json_agg(doc) FROM functions), '[]'),
  'server_version', current_setting('server_version_num')::int
)::text AS catalog

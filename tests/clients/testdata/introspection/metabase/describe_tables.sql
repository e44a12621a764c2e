-- tool: Metabase 0.50 PostgreSQL driver, database sync
-- source: written down from modules/drivers/postgres/src/metabase/driver/postgres.clj (sync
--         multimethods); Metabase builds these with HoneySQL, so whitespace differs from the wire text
-- call: describe-database (the tables, views and materialized views to sync)
SELECT n.nspname AS schema, c.relname AS name,
  CASE c.relkind WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS type,
  d.description AS description
FROM pg_catalog.pg_class AS c
INNER JOIN pg_catalog.pg_namespace AS n ON c.relnamespace = n.oid
LEFT JOIN pg_catalog.pg_description AS d ON (c.oid = d.objoid) AND (d.objsubid = 0) AND (d.classoid = 'pg_class'::regclass)
WHERE (c.relnamespace = n.oid) AND (n.nspname !~ '^pg_') AND (n.nspname <> 'information_schema')
  AND c.relkind IN ('r', 'p', 'v', 'f', 'm') AND (n.nspname IN ('public'))
ORDER BY type ASC, schema ASC, name ASC

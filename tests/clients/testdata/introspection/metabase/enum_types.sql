-- tool: Metabase 0.50 PostgreSQL driver, database sync
-- source: written down from modules/drivers/postgres/src/metabase/driver/postgres.clj (sync
--         multimethods); Metabase builds these with HoneySQL, so whitespace differs from the wire text
-- call: enum-types (user enum types, to map columns to type/Category)
SELECT nspname AS schema, typname AS type
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)

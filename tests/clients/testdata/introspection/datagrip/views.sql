-- tool: DataGrip 2024.x / IntelliJ database tools, PostgreSQL introspector
-- source: written down from the queries the introspector logs (Database Tools log, "introspection
--         queries"); the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: source text of views and materialized views of a schema
select T.relname as view_name, pg_catalog.pg_get_viewdef(T.oid) as source_text
from pg_catalog.pg_class T
  join pg_catalog.pg_namespace N on T.relnamespace = N.oid
where N.oid = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
  and T.relkind in ('m','v')

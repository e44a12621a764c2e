-- tool: DataGrip 2024.x / IntelliJ database tools, PostgreSQL introspector
-- source: written down from the queries the introspector logs (Database Tools log, "introspection
--         queries"); the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: key constraints of the tables of a schema
select T.oid table_id, relkind table_kind, C.oid::bigint con_id, C.xmin con_state_id, conname con_name, contype con_kind,
       conkey con_columns, conindid index_id, confrelid ref_table_id, condeferrable is_deferrable, condeferred is_init_deferred,
       confupdtype on_update, confdeltype on_delete, connoinherit no_inherit,
       pg_catalog.pg_get_expr(conbin, T.oid) /* consrc */ con_expression, confkey ref_columns, conexclop::int[] excl_operators,
       array(select unnest::regtype::text from unnest(conpfeqop)) ref_types_text
from pg_catalog.pg_constraint C
  join pg_catalog.pg_class T on C.conrelid = T.oid
where relkind in ('r', 'v', 'f', 'p')
  and relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
  and contype in ('p', 'u', 'f', 'c', 'x')
  and connamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
order by con_id

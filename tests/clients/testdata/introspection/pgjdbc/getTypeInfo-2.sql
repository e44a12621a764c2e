-- tool: pgJDBC 42.5.5 (Debian libpostgresql-jdbc-java 42.5.5-0+deb12u1)
-- call: getTypeInfo
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the DatabaseMetaData call ran; bind parameters inlined by capture.py
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  ORDER BY sp.r, pg_type.oid DESC

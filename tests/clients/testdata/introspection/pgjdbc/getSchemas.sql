-- tool: pgJDBC 42.5.5 (Debian libpostgresql-jdbc-java 42.5.5-0+deb12u1)
-- call: getSchemas
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the DatabaseMetaData call ran; bind parameters inlined by capture.py
SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY TABLE_SCHEM

-- tool: pgJDBC 42.5.5 (Debian libpostgresql-jdbc-java 42.5.5-0+deb12u1)
-- call: getTypeInfo
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the DatabaseMetaData call ran; bind parameters inlined by capture.py
SELECT t.typname,t.oid FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON (t.typnamespace = n.oid)  WHERE n.nspname  != 'pg_toast' AND  (t.typrelid = 0 OR (SELECT c.relkind = 'c' FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid))

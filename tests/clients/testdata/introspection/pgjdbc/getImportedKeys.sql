-- tool: pgJDBC 42.5.5 (Debian libpostgresql-jdbc-java 42.5.5-0+deb12u1)
-- call: getImportedKeys
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the DatabaseMetaData call ran; bind parameters inlined by capture.py
SELECT setting FROM pg_catalog.pg_settings WHERE name='max_index_keys'

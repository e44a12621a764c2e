-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_columns
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

                SELECT t.typname as "name",
                   -- no enum defaults in 8.4 at least
                   -- t.typdefault as "default",
                   pg_catalog.pg_type_is_visible(t.oid) as "visible",
                   n.nspname as "schema",
                   e.enumlabel as "label"
                FROM pg_catalog.pg_type t
                     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
                     LEFT JOIN pg_catalog.pg_enum e ON t.oid = e.enumtypid
                WHERE t.typtype = 'e'
            ORDER BY "schema", "name", e.oid

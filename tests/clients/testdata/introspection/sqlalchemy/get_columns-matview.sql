-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_columns-matview
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

                SELECT c.oid
                FROM pg_catalog.pg_class c
                LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE (pg_catalog.pg_table_is_visible(c.oid))
                AND c.relname = 'customer_totals' AND c.relkind in
                ('r', 'v', 'm', 'f', 'p')

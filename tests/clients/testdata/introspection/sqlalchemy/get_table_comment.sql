-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_table_comment
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)

                SELECT
                    pgd.description as table_comment
                FROM
                    pg_catalog.pg_description pgd
                WHERE
                    pgd.objsubid = 0 AND
                    pgd.objoid = {{oid:public.customers}}

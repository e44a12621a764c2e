-- tool: SQLAlchemy 1.4.46 PostgreSQL dialect inspector over psycopg2 2.9.5 (Debian python3-sqlalchemy)
-- call: get_view_names
-- source: captured from a PostgreSQL 15 log (log_statement=all) while the Inspector method ran (capture.py)
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')

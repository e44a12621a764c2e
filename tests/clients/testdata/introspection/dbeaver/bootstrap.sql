-- tool: DBeaver 24.x PostgreSQL extension (org.jkiss.dbeaver.ext.postgresql)
-- source: written down from PostgreDataSource / PostgreSchema / PostgreTableBase loaders in the
--         DBeaver source; the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: connection bootstrap (PostgreExecutionContext.refreshDefaults)
SELECT current_schema(),session_user

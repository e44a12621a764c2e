-- tool: DBeaver 24.x PostgreSQL extension (org.jkiss.dbeaver.ext.postgresql)
-- source: written down from PostgreDataSource / PostgreSchema / PostgreTableBase loaders in the
--         DBeaver source; the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: view editor, Source tab of materialized view customer_totals (PostgreViewBase.readObjectDefinition)
SELECT pg_get_viewdef({{oid:public.customer_totals}}, true)

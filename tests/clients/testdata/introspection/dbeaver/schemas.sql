-- tool: DBeaver 24.x PostgreSQL extension (org.jkiss.dbeaver.ext.postgresql)
-- source: written down from PostgreDataSource / PostgreSchema / PostgreTableBase loaders in the
--         DBeaver source; the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: database navigator, list schemas (PostgreDatabase.SchemaCache)
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
left outer join pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
 ORDER BY nspname

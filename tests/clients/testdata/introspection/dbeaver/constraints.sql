-- tool: DBeaver 24.x PostgreSQL extension (org.jkiss.dbeaver.ext.postgresql)
-- source: written down from PostgreDataSource / PostgreSchema / PostgreTableBase loaders in the
--         DBeaver source; the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: table editor, constraints of the schema (PostgreSchema.ConstraintCache)
select c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
from pg_catalog.pg_constraint c
inner join pg_catalog.pg_class t on t.oid=c.conrelid
left outer join pg_catalog.pg_class rt on rt.oid=c.confrelid
left outer join pg_catalog.pg_description d on d.objoid=c.oid and d.objsubid=0 and d.classoid='pg_constraint'::regclass
where t.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
order by c.oid

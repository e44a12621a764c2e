-- tool: DBeaver 24.x PostgreSQL extension (org.jkiss.dbeaver.ext.postgresql)
-- source: written down from PostgreDataSource / PostgreSchema / PostgreTableBase loaders in the
--         DBeaver source; the schema bind parameter (? = the namespace oid) is written as a subquery
-- call: table editor, columns of every table in the schema (PostgreSchema.TableCache attributes)
select c.oid,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
from pg_catalog.pg_attribute a
inner join pg_catalog.pg_class c on (a.attrelid=c.oid)
left outer join pg_catalog.pg_attrdef ad on (a.attrelid=ad.adrelid and a.attnum = ad.adnum)
left outer join pg_catalog.pg_description dsc on (c.oid=dsc.objoid and a.attnum = dsc.objsubid)
left outer join pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
where a.attnum > 0 and not a.attisdropped and c.relnamespace=(SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
order by a.attnum

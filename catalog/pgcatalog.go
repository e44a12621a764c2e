package catalog

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/streamdb/streamdb/sql/types"
)

// pgCatalogTables lists the pg_catalog tables and views. The catalogs keep
// their Postgres OIDs; the system views use 12000-12099.
func pgCatalogTables() []*virtualTable {
	return []*virtualTable{
		{schema: "pg_catalog", name: "pg_namespace", oid: OIDPgNamespace, relkind: "r",
			columns:  cols("oid oid, nspname name, nspowner oid, nspacl aclitem[]"),
			generate: (*virtualContext).pgNamespace},
		{schema: "pg_catalog", name: "pg_class", oid: OIDPgClass, relkind: "r",
			columns: cols(`oid oid, relname name, relnamespace oid, reltype oid, reloftype oid,
				relowner oid, relam oid, relfilenode oid, reltablespace oid, relpages int4,
				reltuples float4, relallvisible int4, reltoastrelid oid, relhasindex bool,
				relisshared bool, relpersistence char, relkind char, relnatts int2, relchecks int2,
				relhasrules bool, relhastriggers bool, relhassubclass bool, relrowsecurity bool,
				relforcerowsecurity bool, relispopulated bool, relreplident char, relispartition bool,
				relrewrite oid, relfrozenxid xid, relminmxid xid, relacl aclitem[], reloptions text[],
				relpartbound pg_node_tree`),
			generate: (*virtualContext).pgClass},
		{schema: "pg_catalog", name: "pg_attribute", oid: 1249, relkind: "r",
			columns: cols(`attrelid oid, attname name, atttypid oid, attlen int2, attnum int2,
				attcacheoff int4, atttypmod int4, attndims int2, attbyval bool, attalign char,
				attstorage char, attcompression char, attnotnull bool, atthasdef bool,
				atthasmissing bool, attidentity char, attgenerated char, attisdropped bool,
				attislocal bool, attinhcount int2, attstattarget int2, attcollation oid,
				attacl aclitem[], attoptions text[], attfdwoptions text[], attmissingval anyarray`),
			generate: (*virtualContext).pgAttribute},
		{schema: "pg_catalog", name: "pg_type", oid: OIDPgType, relkind: "r",
			columns: cols(`oid oid, typname name, typnamespace oid, typowner oid, typlen int2,
				typbyval bool, typtype char, typcategory char, typispreferred bool, typisdefined bool,
				typdelim char, typrelid oid, typsubscript regproc, typelem oid, typarray oid,
				typinput regproc, typoutput regproc, typreceive regproc, typsend regproc,
				typmodin regproc, typmodout regproc, typanalyze regproc, typalign char,
				typstorage char, typnotnull bool, typbasetype oid, typtypmod int4, typndims int4,
				typcollation oid, typdefaultbin pg_node_tree, typdefault text, typacl aclitem[]`),
			generate: (*virtualContext).pgType},
		{schema: "pg_catalog", name: "pg_index", oid: 2610, relkind: "r",
			columns: cols(`indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2,
				indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool,
				indimmediate bool, indisclustered bool, indisvalid bool, indcheckxmin bool,
				indisready bool, indislive bool, indisreplident bool, indkey int2vector,
				indcollation oidvector, indclass oidvector, indoption int2vector,
				indexprs pg_node_tree, indpred pg_node_tree`),
			generate: (*virtualContext).pgIndex},
		{schema: "pg_catalog", name: "pg_constraint", oid: OIDPgConstraint, relkind: "r",
			columns: cols(`oid oid, conname name, connamespace oid, contype char,
				condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid,
				conindid oid, conparentid oid, confrelid oid, confupdtype char, confdeltype char,
				confmatchtype char, conislocal bool, coninhcount int2, connoinherit bool,
				conkey int2[], confkey int2[], conpfeqop oid[], conppeqop oid[], conffeqop oid[],
				confdelsetcols int2[], conexclop oid[], conbin pg_node_tree`),
			generate: (*virtualContext).pgConstraint},
		{schema: "pg_catalog", name: "pg_attrdef", oid: 2604, relkind: "r",
			columns:  cols("oid oid, adrelid oid, adnum int2, adbin pg_node_tree"),
			generate: (*virtualContext).pgAttrdef},
		{schema: "pg_catalog", name: "pg_description", oid: 2609, relkind: "r",
			columns:  cols("objoid oid, classoid oid, objsubid int4, description text"),
			generate: (*virtualContext).pgDescription},
		{schema: "pg_catalog", name: "pg_database", oid: OIDPgDatabase, relkind: "r",
			columns: cols(`oid oid, datname name, datdba oid, encoding int4, datlocprovider char,
				datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid xid,
				datminmxid xid, dattablespace oid, datcollate text, datctype text,
				daticulocale text, daticurules text, datcollversion text, datacl aclitem[]`),
			generate: (*virtualContext).pgDatabase},
		{schema: "pg_catalog", name: "pg_authid", oid: OIDPgAuthID, relkind: "r",
			columns: cols(`oid oid, rolname name, rolsuper bool, rolinherit bool,
				rolcreaterole bool, rolcreatedb bool, rolcanlogin bool, rolreplication bool,
				rolbypassrls bool, rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz`),
			generate: (*virtualContext).pgAuthID},
		{schema: "pg_catalog", name: "pg_roles", oid: 12001, relkind: "v",
			columns: cols(`rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool,
				rolcreatedb bool, rolcanlogin bool, rolreplication bool, rolconnlimit int4,
				rolpassword text, rolvaliduntil timestamptz, rolbypassrls bool, rolconfig text[],
				oid oid`),
			generate: (*virtualContext).pgRoles},
		{schema: "pg_catalog", name: "pg_user", oid: 12002, relkind: "v",
			columns: cols(`usename name, usesysid oid, usecreatedb bool, usesuper bool,
				userepl bool, usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]`),
			generate: (*virtualContext).pgUser},
		{schema: "pg_catalog", name: "pg_auth_members", oid: 1261, relkind: "r",
			columns: cols(`oid oid, roleid oid, member oid, grantor oid, admin_option bool,
				inherit_option bool, set_option bool`)},
		{schema: "pg_catalog", name: "pg_proc", oid: OIDPgProc, relkind: "r",
			columns: cols(`oid oid, proname name, pronamespace oid, proowner oid, prolang oid,
				procost float4, prorows float4, provariadic oid, prosupport regproc, prokind char,
				prosecdef bool, proleakproof bool, proisstrict bool, proretset bool,
				provolatile char, proparallel char, pronargs int2, pronargdefaults int2,
				prorettype oid, proargtypes oidvector, proallargtypes oid[], proargmodes char[],
				proargnames text[], proargdefaults pg_node_tree, protrftypes oid[], prosrc text,
				probin text, prosqlbody pg_node_tree, proconfig text[], proacl aclitem[]`),
			generate: (*virtualContext).pgProc},
		{schema: "pg_catalog", name: "pg_language", oid: 2612, relkind: "r",
			columns: cols(`oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool,
				lanplcallfoid oid, laninline oid, lanvalidator oid, lanacl aclitem[]`),
			generate: (*virtualContext).pgLanguage},
		{schema: "pg_catalog", name: "pg_am", oid: 2601, relkind: "r",
			columns:  cols("oid oid, amname name, amhandler regproc, amtype char"),
			generate: (*virtualContext).pgAm},
		{schema: "pg_catalog", name: "pg_opclass", oid: 2616, relkind: "r",
			columns: cols(`oid oid, opcmethod oid, opcname name, opcnamespace oid, opcowner oid,
				opcfamily oid, opcintype oid, opcdefault bool, opckeytype oid`),
			generate: (*virtualContext).pgOpclass},
		{schema: "pg_catalog", name: "pg_settings", oid: 12003, relkind: "v",
			columns: cols(`name text, setting text, unit text, category text, short_desc text,
				extra_desc text, context text, vartype text, source text, min_val text,
				max_val text, enumvals text[], boot_val text, reset_val text, sourcefile text,
				sourceline int4, pending_restart bool`),
			generate: (*virtualContext).pgSettings},
		{schema: "pg_catalog", name: "pg_tables", oid: 12004, relkind: "v",
			columns: cols(`schemaname name, tablename name, tableowner name, tablespace name,
				hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool`),
			generate: (*virtualContext).pgTables},
		{schema: "pg_catalog", name: "pg_views", oid: 12005, relkind: "v",
			columns:  cols("schemaname name, viewname name, viewowner name, definition text"),
			generate: (*virtualContext).pgViews},
		{schema: "pg_catalog", name: "pg_matviews", oid: 12006, relkind: "v",
			columns: cols(`schemaname name, matviewname name, matviewowner name, tablespace name,
				hasindexes bool, ispopulated bool, definition text`),
			generate: (*virtualContext).pgMatviews},
		{schema: "pg_catalog", name: "pg_indexes", oid: 12007, relkind: "v",
			columns:  cols("schemaname name, tablename name, indexname name, tablespace name, indexdef text"),
			generate: (*virtualContext).pgIndexes},
		{schema: "pg_catalog", name: "pg_sequence", oid: 2224, relkind: "r",
			columns: cols(`seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8,
				seqmax int8, seqmin int8, seqcache int8, seqcycle bool`),
			generate: (*virtualContext).pgSequence},
		{schema: "pg_catalog", name: "pg_sequences", oid: 12008, relkind: "v",
			columns: cols(`schemaname name, sequencename name, sequenceowner name,
				data_type regtype, start_value int8, min_value int8, max_value int8,
				increment_by int8, cycle bool, cache_size int8, last_value int8`),
			generate: (*virtualContext).pgSequences},
		{schema: "pg_catalog", name: "pg_stat_activity", oid: 12009, relkind: "v",
			columns: cols(`datid oid, datname name, pid int4, leader_pid int4, usesysid oid,
				usename name, application_name text, client_addr inet, client_hostname text,
				client_port int4, backend_start timestamptz, xact_start timestamptz,
				query_start timestamptz, state_change timestamptz, wait_event_type text,
				wait_event text, state text, backend_xid xid, backend_xmin xid, query_id int8,
				query text, backend_type text`),
			generate: (*virtualContext).pgStatActivity},
		{schema: "pg_catalog", name: "pg_locks", oid: 12010, relkind: "v",
			columns: cols(`locktype text, database oid, relation oid, page int4, tuple int2,
				virtualxid text, transactionid xid, classid oid, objid oid, objsubid int2,
				virtualtransaction text, pid int4, mode text, granted bool, fastpath bool,
				waitstart timestamptz`)},
		{schema: "pg_catalog", name: "pg_inherits", oid: 2611, relkind: "r",
			columns: cols("inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool")},
		{schema: "pg_catalog", name: "pg_trigger", oid: 2620, relkind: "r",
			columns: cols(`oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid,
				tgtype int2, tgenabled char, tgisinternal bool, tgconstrrelid oid,
				tgconstrindid oid, tgconstraint oid, tgdeferrable bool, tginitdeferred bool,
				tgnargs int2, tgattr int2vector, tgargs bytea, tgqual pg_node_tree,
				tgoldtable name, tgnewtable name`)},
		{schema: "pg_catalog", name: "pg_rewrite", oid: 2618, relkind: "r",
			columns: cols(`oid oid, rulename name, ev_class oid, ev_type char, ev_enabled char,
				is_instead bool, ev_qual pg_node_tree, ev_action pg_node_tree`)},
		{schema: "pg_catalog", name: "pg_depend", oid: 2608, relkind: "r",
			columns: cols(`classid oid, objid oid, objsubid int4, refclassid oid, refobjid oid,
				refobjsubid int4, deptype char`),
			generate: (*virtualContext).pgDepend},
		{schema: "pg_catalog", name: "pg_collation", oid: 3456, relkind: "r",
			columns: cols(`oid oid, collname name, collnamespace oid, collowner oid,
				collprovider char, collisdeterministic bool, collencoding int4, collcollate text,
				collctype text, colliculocale text, collicurules text, collversion text`),
			generate: (*virtualContext).pgCollation},
		{schema: "pg_catalog", name: "pg_enum", oid: 3501, relkind: "r",
			columns: cols("oid oid, enumtypid oid, enumsortorder float4, enumlabel name")},
		{schema: "pg_catalog", name: "pg_range", oid: 3541, relkind: "r",
			columns: cols(`rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid,
				rngsubopc oid, rngcanonical regproc, rngsubdiff regproc`)},
		{schema: "pg_catalog", name: "pg_extension", oid: 3079, relkind: "r",
			columns: cols(`oid oid, extname name, extowner oid, extnamespace oid,
				extrelocatable bool, extversion text, extconfig oid[], extcondition text[]`)},
		{schema: "pg_catalog", name: "pg_foreign_table", oid: 3118, relkind: "r",
			columns: cols("ftrelid oid, ftserver oid, ftoptions text[]")},
		{schema: "pg_catalog", name: "pg_foreign_server", oid: 1417, relkind: "r",
			columns: cols(`oid oid, srvname name, srvowner oid, srvfdw oid, srvtype text,
				srvversion text, srvacl aclitem[], srvoptions text[]`)},
		{schema: "pg_catalog", name: "pg_foreign_data_wrapper", oid: 2328, relkind: "r",
			columns: cols(`oid oid, fdwname name, fdwowner oid, fdwhandler oid,
				fdwvalidator oid, fdwacl aclitem[], fdwoptions text[]`)},
		{schema: "pg_catalog", name: "pg_policy", oid: 3256, relkind: "r",
			columns: cols(`oid oid, polname name, polrelid oid, polcmd char, polpermissive bool,
				polroles oid[], polqual pg_node_tree, polwithcheck pg_node_tree`)},
		{schema: "pg_catalog", name: "pg_publication", oid: 6104, relkind: "r",
			columns: cols(`oid oid, pubname name, pubowner oid, puballtables bool,
				pubinsert bool, pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool`)},
		{schema: "pg_catalog", name: "pg_publication_namespace", oid: 6237, relkind: "r",
			columns: cols("oid oid, pnpubid oid, pnnspid oid")},
		{schema: "pg_catalog", name: "pg_publication_rel", oid: 6106, relkind: "r",
			columns: cols("oid oid, prpubid oid, prrelid oid, prqual pg_node_tree, prattrs int2vector")},
		{schema: "pg_catalog", name: "pg_statistic_ext", oid: 3381, relkind: "r",
			columns: cols(`oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid,
				stxstattarget int4, stxkeys int2vector, stxkind char[], stxexprs pg_node_tree`)},
		{schema: "pg_catalog", name: "pg_partitioned_table", oid: 3350, relkind: "r",
			columns: cols(`partrelid oid, partstrat char, partnatts int2, partdefid oid,
				partattrs int2vector, partclass oidvector, partcollation oidvector,
				partexprs pg_node_tree`)},
		{schema: "pg_catalog", name: "pg_tablespace", oid: 1213, relkind: "r",
			columns:  cols("oid oid, spcname name, spcowner oid, spcacl aclitem[], spcoptions text[]"),
			generate: (*virtualContext).pgTablespace},
		{schema: "pg_catalog", name: "pg_event_trigger", oid: 3466, relkind: "r",
			columns: cols(`oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid,
				evtenabled char, evttags text[]`)},
		{schema: "pg_catalog", name: "pg_cast", oid: 2605, relkind: "r",
			columns: cols(`oid oid, castsource oid, casttarget oid, castfunc oid,
				castcontext char, castmethod char`)},
		{schema: "pg_catalog", name: "pg_operator", oid: 2617, relkind: "r",
			columns: cols(`oid oid, oprname name, oprnamespace oid, oprowner oid, oprkind char,
				oprcanmerge bool, oprcanhash bool, oprleft oid, oprright oid, oprresult oid,
				oprcom oid, oprnegate oid, oprcode regproc, oprrest regproc, oprjoin regproc`)},
		{schema: "pg_catalog", name: "pg_shdescription", oid: 2396, relkind: "r",
			columns: cols("objoid oid, classoid oid, description text")},
		{schema: "pg_catalog", name: "pg_timezone_names", oid: 12011, relkind: "v",
			columns:  cols("name text, abbrev text, utc_offset interval, is_dst bool"),
			generate: (*virtualContext).pgTimezoneNames},
		{schema: "pg_catalog", name: "pg_prepared_statements", oid: 12012, relkind: "v",
			columns: cols(`name text, statement text, prepare_time timestamptz,
				parameter_types regtype[], result_types regtype[], from_sql bool,
				generic_plans int8, custom_plans int8`),
			generate: (*virtualContext).pgPreparedStatements},
		{schema: "pg_catalog", name: "pg_cursors", oid: 12013, relkind: "v",
			columns: cols(`name text, statement text, is_holdable bool, is_binary bool,
				is_scrollable bool, creation_time timestamptz`),
			generate: (*virtualContext).pgCursors},
		{schema: "pg_catalog", name: "pg_stat_user_tables", oid: 12014, relkind: "v",
			columns:  cols(statTablesColumns),
			generate: (*virtualContext).pgStatUserTables},
		{schema: "pg_catalog", name: "pg_stat_all_tables", oid: 12015, relkind: "v",
			columns:  cols(statTablesColumns),
			generate: (*virtualContext).pgStatAllTables},
		{schema: "pg_catalog", name: "pg_stat_user_indexes", oid: 12016, relkind: "v",
			columns:  cols(statIndexesColumns),
			generate: (*virtualContext).pgStatUserIndexes},
		{schema: "pg_catalog", name: "pg_stat_all_indexes", oid: 12017, relkind: "v",
			columns:  cols(statIndexesColumns),
			generate: (*virtualContext).pgStatAllIndexes},
		{schema: "pg_catalog", name: "pg_statio_user_tables", oid: 12018, relkind: "v",
			columns: cols(`relid oid, schemaname name, relname name, heap_blks_read int8,
				heap_blks_hit int8, idx_blks_read int8, idx_blks_hit int8, toast_blks_read int8,
				toast_blks_hit int8, tidx_blks_read int8, tidx_blks_hit int8`),
			generate: (*virtualContext).pgStatioUserTables},
		{schema: "pg_catalog", name: "pg_stat_database", oid: 12019, relkind: "v",
			columns: cols(`datid oid, datname name, numbackends int4, xact_commit int8,
				xact_rollback int8, blks_read int8, blks_hit int8, tup_returned int8,
				tup_fetched int8, tup_inserted int8, tup_updated int8, tup_deleted int8,
				conflicts int8, temp_files int8, temp_bytes int8, deadlocks int8,
				checksum_failures int8, checksum_last_failure timestamptz, blk_read_time float8,
				blk_write_time float8, session_time float8, active_time float8,
				idle_in_transaction_time float8, sessions int8, sessions_abandoned int8,
				sessions_fatal int8, sessions_killed int8, stats_reset timestamptz`),
			generate: (*virtualContext).pgStatDatabase},
		{schema: "pg_catalog", name: "pg_stats", oid: 12020, relkind: "v",
			columns: cols(`schemaname name, tablename name, attname name, inherited bool,
				null_frac float4, avg_width int4, n_distinct float4, most_common_vals anyarray,
				most_common_freqs float4[], histogram_bounds anyarray, correlation float4,
				most_common_elems anyarray, most_common_elem_freqs float4[],
				elem_count_histogram float4[]`)},
		{schema: "pg_catalog", name: "pg_shadow", oid: 12021, relkind: "v",
			columns: cols(`usename name, usesysid oid, usecreatedb bool, usesuper bool,
				userepl bool, usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]`),
			generate: (*virtualContext).pgShadow},
		{schema: "pg_catalog", name: "pg_group", oid: 12022, relkind: "v",
			columns:  cols("groname name, grosysid oid, grolist oid[]"),
			generate: (*virtualContext).pgGroup},
		{schema: "pg_catalog", name: "pg_available_extensions", oid: 12023, relkind: "v",
			columns: cols("name name, default_version text, installed_version text, comment text")},
		{schema: "pg_catalog", name: "pg_replication_slots", oid: 12024, relkind: "v",
			columns: cols(`slot_name name, plugin name, slot_type text, datoid oid,
				database name, temporary bool, active bool, active_pid int4, xmin xid,
				catalog_xmin xid, restart_lsn pg_lsn, confirmed_flush_lsn pg_lsn,
				wal_status text, safe_wal_size int8, two_phase bool, conflicting bool`)},
		{schema: "pg_catalog", name: "pg_aggregate", oid: 2600, relkind: "r",
			columns: cols(`aggfnoid regproc, aggkind char, aggnumdirectargs int2,
				aggtransfn regproc, aggfinalfn regproc, aggcombinefn regproc,
				aggserialfn regproc, aggdeserialfn regproc, aggmtransfn regproc,
				aggminvtransfn regproc, aggmfinalfn regproc, aggfinalextra bool,
				aggmfinalextra bool, aggfinalmodify char, aggmfinalmodify char, aggsortop oid,
				aggtranstype oid, aggtransspace int4, aggmtranstype oid, aggmtransspace int4,
				agginitval text, aggminitval text`),
			generate: (*virtualContext).pgAggregate},
		{schema: "pg_catalog", name: "pg_default_acl", oid: 826, relkind: "r",
			columns: cols(`oid oid, defaclrole oid, defaclnamespace oid, defaclobjtype char,
				defaclacl aclitem[]`)},
		{schema: "pg_catalog", name: "pg_db_role_setting", oid: 2964, relkind: "r",
			columns: cols("setdatabase oid, setrole oid, setconfig text[]")},
		{schema: "pg_catalog", name: "pg_shdepend", oid: 1214, relkind: "r",
			columns: cols(`dbid oid, classid oid, objid oid, objsubid int4, refclassid oid,
				refobjid oid, deptype char`)},
		{schema: "pg_catalog", name: "pg_init_privs", oid: 3394, relkind: "r",
			columns: cols("objoid oid, classoid oid, objsubid int4, privtype char, initprivs aclitem[]")},
		// Catalogs and views that stay empty: tools read them, we have nothing to list.
		{schema: "pg_catalog", name: "pg_opfamily", oid: 2753, relkind: "r",
			columns: cols(`oid oid, opfmethod oid, opfname name, opfnamespace oid, opfowner oid`)},
		{schema: "pg_catalog", name: "pg_amop", oid: 2602, relkind: "r",
			columns: cols(`oid oid, amopfamily oid, amoplefttype oid, amoprighttype oid, amopstrategy int2,
				amoppurpose char, amopopr oid, amopmethod oid, amopsortfamily oid`)},
		{schema: "pg_catalog", name: "pg_amproc", oid: 2603, relkind: "r",
			columns: cols(`oid oid, amprocfamily oid, amproclefttype oid, amprocrighttype oid, amprocnum int2, amproc
				regproc`)},
		{schema: "pg_catalog", name: "pg_conversion", oid: 2607, relkind: "r",
			columns: cols(`oid oid, conname name, connamespace oid, conowner oid, conforencoding int4, contoencoding
				int4, conproc regproc, condefault bool`)},
		{schema: "pg_catalog", name: "pg_ts_config", oid: 3602, relkind: "r",
			columns: cols(`oid oid, cfgname name, cfgnamespace oid, cfgowner oid, cfgparser oid`)},
		{schema: "pg_catalog", name: "pg_ts_dict", oid: 3600, relkind: "r",
			columns: cols(`oid oid, dictname name, dictnamespace oid, dictowner oid, dicttemplate oid, dictinitoption
				text`)},
		{schema: "pg_catalog", name: "pg_ts_parser", oid: 3601, relkind: "r",
			columns: cols(`oid oid, prsname name, prsnamespace oid, prsstart regproc, prstoken regproc, prsend
				regproc, prsheadline regproc, prslextype regproc`)},
		{schema: "pg_catalog", name: "pg_ts_template", oid: 3764, relkind: "r",
			columns: cols(`oid oid, tmplname name, tmplnamespace oid, tmplinit regproc, tmpllexize regproc`)},
		{schema: "pg_catalog", name: "pg_transform", oid: 3576, relkind: "r",
			columns: cols(`oid oid, trftype oid, trflang oid, trffromsql regproc, trftosql regproc`)},
		{schema: "pg_catalog", name: "pg_largeobject_metadata", oid: 2995, relkind: "r",
			columns: cols(`oid oid, lomowner oid, lomacl aclitem[]`)},
		{schema: "pg_catalog", name: "pg_seclabel", oid: 3596, relkind: "r",
			columns: cols(`objoid oid, classoid oid, objsubid int4, provider text, label text`)},
		{schema: "pg_catalog", name: "pg_shseclabel", oid: 3592, relkind: "r",
			columns: cols(`objoid oid, classoid oid, provider text, label text`)},
		{schema: "pg_catalog", name: "pg_user_mappings", oid: 12025, relkind: "v",
			columns: cols(`umid oid, srvid oid, srvname name, umuser oid, usename name, umoptions text[]`)},
		{schema: "pg_catalog", name: "pg_stat_ssl", oid: 12026, relkind: "v",
			columns: cols(`pid int4, ssl bool, version text, cipher text, bits int4, client_dn text, client_serial
				numeric, issuer_dn text`)},
		{schema: "pg_catalog", name: "pg_statio_user_indexes", oid: 12027, relkind: "v",
			columns: cols(`relid oid, indexrelid oid, schemaname name, relname name, indexrelname name, idx_blks_read
				int8, idx_blks_hit int8`)},
		{schema: "pg_catalog", name: "pg_rules", oid: 12028, relkind: "v",
			columns: cols(`schemaname name, tablename name, rulename name, definition text`)},
		{schema: "pg_catalog", name: "pg_policies", oid: 12029, relkind: "v",
			columns: cols(`schemaname name, tablename name, policyname name, permissive text, roles name[], cmd text,
				qual text, with_check text`)},
		{schema: "pg_catalog", name: "pg_available_extension_versions", oid: 12030, relkind: "v",
			columns: cols(`name name, version text, installed bool, superuser bool, trusted bool, relocatable bool,
				schema name, requires name[], comment text`)},
		{schema: "pg_catalog", name: "pg_stat_replication", oid: 12031, relkind: "v",
			columns: cols(`pid int4, usesysid oid, usename name, application_name text, client_addr inet,
				client_hostname text, client_port int4, backend_start timestamptz, backend_xmin xid,
				state text, sent_lsn pg_lsn, write_lsn pg_lsn, flush_lsn pg_lsn, replay_lsn pg_lsn,
				write_lag interval, flush_lag interval, replay_lag interval, sync_priority int4,
				sync_state text, reply_time timestamptz`)},
		{schema: "pg_catalog", name: "pg_stat_bgwriter", oid: 12032, relkind: "v",
			columns: cols(`checkpoints_timed int8, checkpoints_req int8, checkpoint_write_time float8,
				checkpoint_sync_time float8, buffers_checkpoint int8, buffers_clean int8,
				maxwritten_clean int8, buffers_backend int8, buffers_backend_fsync int8, buffers_alloc
				int8, stats_reset timestamptz`)},
		{schema: "pg_catalog", name: "pg_file_settings", oid: 12033, relkind: "v",
			columns: cols(`sourcefile text, sourceline int4, seqno int4, name text, setting text, applied bool, error
				text`)},
		{schema: "pg_catalog", name: "pg_subscription", oid: 6100, relkind: "r",
			columns: cols(`oid oid, subdbid oid, subskiplsn pg_lsn, subname name, subowner oid,
				subenabled bool, subbinary bool, substream char, subtwophasestate char,
				subdisableonerr bool, subpasswordrequired bool, subrunasowner bool,
				subconninfo text, subslotname name, subsynccommit text, subpublications text[],
				suborigin text`)},
	}
}

const statTablesColumns = `relid oid, schemaname name, relname name, seq_scan int8,
	last_seq_scan timestamptz, seq_tup_read int8, idx_scan int8, last_idx_scan timestamptz,
	idx_tup_fetch int8, n_tup_ins int8, n_tup_upd int8, n_tup_del int8, n_tup_hot_upd int8,
	n_tup_newpage_upd int8, n_live_tup int8, n_dead_tup int8, n_mod_since_analyze int8,
	n_ins_since_vacuum int8, last_vacuum timestamptz, last_autovacuum timestamptz,
	last_analyze timestamptz, last_autoanalyze timestamptz, vacuum_count int8,
	autovacuum_count int8, analyze_count int8, autoanalyze_count int8`

func (v *virtualContext) pgNamespace() []types.Row {
	rows := make([]types.Row, 0, len(v.namespaces))
	for _, ns := range v.namespaces {
		rows = append(rows, types.Row{dOID(ns.OID), dStr(ns.Name), dOID(v.ownerOID(ns.Owner)), types.Null})
	}
	return rows
}

// stored reports whether a relation of this relkind has a table access
// method (relam). Views have a rule instead (relhasrules is true for them,
// as in Postgres, where the rule is the view's _RETURN rule).
func stored(relkind string) bool { return relkind == "r" || relkind == "m" || relkind == "i" }

func (v *virtualContext) pgClass() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		d := r.d
		var am, filenode uint32
		if stored(r.relkind) {
			am = AmHeap
		}
		if (stored(r.relkind) || r.relkind == "S") && !r.system {
			filenode = d.OID
		}
		replident := "n"
		if r.relkind == "r" || r.relkind == "m" {
			replident = "d"
		}
		reloptions := types.Null
		if opts := optionsText(d.Options); opts != nil && r.relkind != "S" { // a sequence's state is in pg_sequence
			reloptions = dTextArray(opts)
		}
		rows = append(rows, types.Row{
			dOID(d.OID), dStr(d.Name), dOID(r.nsOID), dOID(0), dOID(0),
			dOID(r.ownerOID), dOID(am), dOID(filenode), dOID(0), dInt(0),
			types.DFloat(-1), dInt(0), dOID(0), dBool(len(r.indexes) > 0),
			dBool(false), dChar("p"), dChar(r.relkind), types.DInt(int64(relNatts(d))), dInt(len(d.Checks)),
			dBool(r.relkind == "v" || r.relkind == "m"), dBool(false), dBool(false), dBool(false), // relhasrules: the _RETURN rule of views and matviews
			dBool(false), dBool(true), dChar(replident), dBool(false),
			dOID(0), dOID(0), dOID(0), types.Null, reloptions,
			types.Null,
		})
		for i := range r.indexes {
			ix := &r.indexes[i]
			rows = append(rows, types.Row{
				dOID(ix.OID), dStr(ix.Name), dOID(r.nsOID), dOID(0), dOID(0),
				dOID(r.ownerOID), dOID(AmBtree), dOID(ix.OID), dOID(0), dInt(0),
				types.DFloat(-1), dInt(0), dOID(0), dBool(false),
				dBool(false), dChar("p"), dChar("i"), dInt(len(ix.Columns)), dInt(0),
				dBool(false), dBool(false), dBool(false), dBool(false),
				dBool(false), dBool(true), dChar("n"), dBool(false),
				dOID(0), dOID(0), dOID(0), types.Null, types.Null,
				types.Null,
			})
		}
	}
	return rows
}

// attributeRow is one pg_attribute row of a live column.
func attributeRow(relOID uint32, name string, t *types.T, attnum int16, notNull, hasDef, hasMissing bool, identity string) types.Row {
	ndims := 0
	if isArrayType(t) && t.Oid != types.OidInt2Vector && t.Oid != types.OidOidVector {
		ndims = 1
	}
	return types.Row{
		dOID(relOID), dStr(name), dOID(t.Oid), types.DInt(int64(t.Size())), types.DInt(int64(attnum)),
		dInt(-1), types.DInt(int64(t.Typmod)), dInt(ndims), dBool(typByVal(t)), dChar(typAlign(t)),
		dChar(typStorage(t)), dChar(""), dBool(notNull), dBool(hasDef),
		dBool(hasMissing), dChar(identity), dChar(""), dBool(false),
		dBool(true), dInt(0), dInt(-1), dOID(typCollation(t)),
		types.Null, types.Null, types.Null, types.Null,
	}
}

func (v *virtualContext) pgAttribute() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		d := r.d
		for i := range d.Columns {
			if !visibleColumn(d, i) {
				continue
			}
			c := &d.Columns[i]
			num := attNum(d, i)
			if c.Dropped {
				// Postgres keeps a dropped column's slot under a
				// placeholder name with atttypid 0 (and the storage
				// properties of its old type).
				r := attributeRow(d.OID, "........pg.dropped."+strconv.Itoa(int(num))+"........", columnType(c), num, false, false, false, "")
				r[2], r[6], r[7], r[17], r[20], r[21] = dOID(0), dInt(-1), dInt(0), dBool(true), dInt(0), dOID(0)
				rows = append(rows, r)
				continue
			}
			hasMissing := c.Missing != "" && !c.MissingNull
			rows = append(rows, attributeRow(d.OID, c.Name, columnType(c), num, columnNotNull(d, i), c.Default != "", hasMissing, c.Identity))
		}
		for j := range r.indexes {
			ix := &r.indexes[j]
			for k, slot := range ix.Columns {
				if slot < 0 || slot >= len(d.Columns) {
					continue
				}
				c := &d.Columns[slot]
				rows = append(rows, attributeRow(ix.OID, c.Name, columnType(c), int16(k+1), columnNotNull(d, slot), false, false, ""))
			}
		}
	}
	return rows
}

// Handler functions Postgres names in pg_type and pg_am (their regproc
// columns are OIDs here).
const (
	procArraySubscriptHandler    uint32 = 6179
	procArrayIn                  uint32 = 750
	procArrayOut                 uint32 = 751
	procArrayRecv                uint32 = 2400
	procArraySend                uint32 = 2401
	procRawArraySubscriptHandler uint32 = 6180
	procJSONBSubscriptHandler    uint32 = 6098
	procHeapTableAmHandler       uint32 = 3
	procBtHandler                uint32 = 330
)

func (v *virtualContext) pgType() []types.Row {
	ts := v.in.Types
	if ts == nil {
		ts = types.Builtins()
	}
	// typarray: the array type of each element type.
	arrayOf := make(map[uint32]uint32, len(ts))
	for _, t := range ts {
		if t.Family == types.ArrayFamily && t.Elem != nil && t.Oid != types.OidInt2Vector && t.Oid != types.OidOidVector && t.Oid != types.OidAnyArray {
			arrayOf[t.Elem.Oid] = t.Oid
		}
	}
	rows := make([]types.Row, 0, len(ts))
	for _, t := range ts {
		typtype, category := "b", t.Category()
		if isPseudoType(t) {
			typtype, category = "p", "P"
			if t.Oid == types.OidUnknown {
				category = "X"
			}
		}
		if t.Oid == types.OidChar {
			category = "Z" // Postgres files "char" under internal-use types
		}
		var elem, subscript uint32
		if t.Family == types.ArrayFamily && t.Elem != nil && t.Oid != types.OidAnyArray {
			elem, subscript = t.Elem.Oid, procArraySubscriptHandler
		}
		switch t.Oid {
		case types.OidJSONB:
			subscript = procJSONBSubscriptHandler
		case types.OidName:
			// name is a fixed-length array of "char" in Postgres.
			elem, subscript = types.OidChar, procRawArraySubscriptHandler
		}
		typlen, byval := int64(t.Size()), typByVal(t)
		switch t.Oid {
		case types.OidAny, types.OidAnyElement, types.OidVoid:
			typlen, byval = 4, true
		case types.OidUnknown:
			typlen = -2 // a C string
		}
		// The I/O functions are only named for arrays: clients test
		// typinput = 'array_in'::regproc to recognise them (pgJDBC).
		var in, out, recv, send uint32
		if elem != 0 && subscript == procArraySubscriptHandler && t.Oid != types.OidInt2Vector && t.Oid != types.OidOidVector {
			in, out, recv, send = procArrayIn, procArrayOut, procArrayRecv, procArraySend
		}
		rows = append(rows, types.Row{
			dOID(t.Oid), dStr(t.TypName()), dOID(NamespacePgCatalog), dOID(BootstrapSuperuserOID), types.DInt(typlen),
			dBool(byval), dChar(typtype), dChar(category), dBool(preferredType(t)), dBool(true),
			dChar(","), dOID(0), dOID(subscript), dOID(elem), dOID(arrayOf[t.Oid]),
			dOID(in), dOID(out), dOID(recv), dOID(send),
			dOID(0), dOID(0), dOID(0), dChar(typAlign(t)),
			dChar(typStorage(t)), dBool(false), dOID(0), dInt(-1), dInt(0),
			dOID(typCollation(t)), types.Null, types.Null, types.Null,
		})
	}
	return rows
}

// preferredType is pg_type.typispreferred: the type implicit casts favour
// within its category.
func preferredType(t *types.T) bool {
	switch t.Oid {
	case types.OidBool, types.OidText, types.OidFloat8, types.OidOid, types.OidTimestampTZ, types.OidInterval:
		return true
	}
	return false
}

func (v *virtualContext) pgIndex() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		for i := range r.indexes {
			ix := &r.indexes[i]
			keys := slotAttNums(r.d, ix.Columns)
			collations := make([]uint32, len(ix.Columns))
			opclasses := make([]uint32, len(ix.Columns))
			options := make([]int16, len(ix.Columns))
			for k, s := range ix.Columns {
				if s >= 0 && s < len(r.d.Columns) {
					t := columnType(&r.d.Columns[s])
					collations[k] = typCollation(t)
					opclasses[k] = defaultBtreeOpclass(t).oid
				}
			}
			rows = append(rows, types.Row{
				dOID(ix.OID), dOID(r.d.OID), dInt(len(keys)), dInt(len(keys)),
				dBool(ix.Unique || ix.Primary), dBool(false), dBool(ix.Primary), dBool(false),
				dBool(true), dBool(false), dBool(true), dBool(false),
				dBool(true), dBool(true), dBool(false), dInt2Array(types.Int2, keys),
				dOIDArray(types.Oid, collations), dOIDArray(types.Oid, opclasses), dInt2Array(types.Int2, options),
				types.Null, types.Null,
			})
		}
	}
	return rows
}

// notNullConstraintName is the name information_schema gives a NOT NULL
// column's implicit CHECK constraint.
func notNullConstraintName(nsOID, relOID uint32, attnum int16) string {
	return strconv.FormatUint(uint64(nsOID), 10) + "_" + strconv.FormatUint(uint64(relOID), 10) + "_" + strconv.Itoa(int(attnum)) + "_not_null"
}

func (v *virtualContext) pgConstraint() []types.Row {
	var rows []types.Row
	constraint := func(r *relInfo, oid uint32, name, contype string, indexOID uint32, conkey types.Datum, conbin types.Datum) types.Row {
		return types.Row{
			dOID(oid), dStr(name), dOID(r.nsOID), dChar(contype),
			dBool(false), dBool(false), dBool(true), dOID(r.d.OID), dOID(0),
			dOID(indexOID), dOID(0), dOID(0), dChar(" "), dChar(" "),
			dChar(" "), dBool(true), dInt(0), dBool(contype == "p"),
			conkey, types.Null, types.Null, types.Null, types.Null,
			types.Null, types.Null, conbin,
		}
	}
	for _, r := range v.rels {
		if pk := r.primaryIndex(); pk != nil {
			rows = append(rows, constraint(r, pkConstraintOID(r.d, pk), pk.Name, "p", pk.OID,
				dInt2Array(types.Int2, slotAttNums(r.d, pk.Columns)), types.Null))
		}
		for _, c := range r.d.Checks {
			rows = append(rows, constraint(r, c.OID, c.Name, "c", 0, types.Null, dStr(c.Expr)))
		}
	}
	return rows
}

func (v *virtualContext) pgAttrdef() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		d := r.d
		for i := range d.Columns {
			c := &d.Columns[i]
			if c.Default == "" || c.Dropped || !visibleColumn(d, i) {
				continue
			}
			// pg_attrdef rows need OIDs of their own; derive a stable
			// one from the relation and column so they never collide
			// with a constraint's.
			oid := attrdefOID(d.OID, attNum(d, i))
			rows = append(rows, types.Row{dOID(oid), dOID(d.OID), types.DInt(int64(attNum(d, i))), dStr(c.Default)})
		}
	}
	return rows
}

// attrdefOID derives a pg_attrdef OID in a range user OIDs do not reach.
func attrdefOID(relOID uint32, attnum int16) uint32 {
	return 0x80000000 | (relOID&0xffff)<<12 | uint32(attnum)&0xfff
}

func (v *virtualContext) pgDescription() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		d := r.d
		if d.Comment != "" {
			rows = append(rows, types.Row{dOID(d.OID), dOID(OIDPgClass), dInt(0), dStr(d.Comment)})
		}
		for i := range d.Columns {
			if c := &d.Columns[i]; c.Comment != "" && !c.Dropped {
				rows = append(rows, types.Row{dOID(d.OID), dOID(OIDPgClass), types.DInt(int64(attNum(d, i))), dStr(c.Comment)})
			}
		}
	}
	return rows
}

// Database encoding and locale. 6 is UTF8 in pg_encoding_to_char.
const (
	encodingUTF8  = 6
	defaultLocale = "C.UTF-8"
)

func (v *virtualContext) pgDatabase() []types.Row {
	owner := BootstrapSuperuserOID
	return []types.Row{{
		dOID(v.dbOID), dStr(v.database()), dOID(owner), dInt(encodingUTF8), dChar("c"),
		dBool(false), dBool(true), dInt(-1), dOID(0),
		dOID(0), dOID(1663), dStr(defaultLocale), dStr(defaultLocale),
		types.Null, types.Null, types.Null, types.Null,
	}}
}

func (v *virtualContext) pgAuthID() []types.Row {
	rows := make([]types.Row, 0, len(v.roles))
	for _, r := range v.roles {
		rows = append(rows, types.Row{
			dOID(r.OID), dStr(r.Name), dBool(r.Superuser), dBool(true),
			dBool(r.Superuser), dBool(r.Superuser), dBool(r.Login), dBool(r.Superuser),
			dBool(r.Superuser), dInt(-1), nullableStr(r.PasswordVerifier), types.Null,
		})
	}
	return rows
}

// nullableStr is NULL for "", else the text.
func nullableStr(s string) types.Datum {
	if s == "" {
		return types.Null
	}
	return dStr(s)
}

func (v *virtualContext) pgRoles() []types.Row {
	rows := make([]types.Row, 0, len(v.roles))
	for _, r := range v.roles {
		rows = append(rows, types.Row{
			dStr(r.Name), dBool(r.Superuser), dBool(true), dBool(r.Superuser),
			dBool(r.Superuser), dBool(r.Login), dBool(r.Superuser), dInt(-1),
			dStr("********"), types.Null, dBool(r.Superuser), types.Null,
			dOID(r.OID),
		})
	}
	return rows
}

func (v *virtualContext) pgUser() []types.Row {
	var rows []types.Row
	for _, r := range v.roles {
		if !r.Login {
			continue // pg_user lists only roles that can log in
		}
		rows = append(rows, types.Row{
			dStr(r.Name), dOID(r.OID), dBool(r.Superuser), dBool(r.Superuser),
			dBool(r.Superuser), dBool(r.Superuser), dStr("********"), types.Null, types.Null,
		})
	}
	return rows
}

// Language OIDs (pg_language).
const (
	langInternal uint32 = 12
	langC        uint32 = 13
	langSQL      uint32 = 14
)

func (v *virtualContext) pgProc() []types.Row {
	rows := make([]types.Row, 0, len(v.in.Functions))
	for i := range v.in.Functions {
		f := &v.in.Functions[i]
		kind := string(f.Kind)
		if f.Kind == 0 {
			kind = "f"
		}
		volatility := string(f.Volatility)
		if f.Volatility == 0 {
			volatility = "v"
		}
		rowsEstimate := 0.0
		if f.RetSet {
			rowsEstimate = 1000
		}
		ns := f.Namespace
		if ns == 0 {
			ns = NamespacePgCatalog
		}
		rows = append(rows, types.Row{
			dOID(f.OID), dStr(f.Name), dOID(ns), dOID(BootstrapSuperuserOID), dOID(langInternal),
			types.DFloat(1), types.DFloat(rowsEstimate), dOID(f.Variadic), dOID(0), dChar(kind),
			dBool(false), dBool(false), dBool(f.Strict), dBool(f.RetSet),
			dChar(volatility), dChar("s"), dInt(len(f.ArgTypes)), dInt(0),
			dOID(f.RetType), dOIDArray(types.Oid, f.ArgTypes), types.Null, types.Null,
			types.Null, types.Null, types.Null, dStr(f.Name),
			types.Null, types.Null, types.Null, types.Null,
		})
	}
	return rows
}

func (v *virtualContext) pgLanguage() []types.Row {
	lang := func(oid uint32, name string, pl, trusted bool) types.Row {
		return types.Row{dOID(oid), dStr(name), dOID(BootstrapSuperuserOID), dBool(pl), dBool(trusted),
			dOID(0), dOID(0), dOID(0), types.Null}
	}
	return []types.Row{
		lang(langInternal, "internal", false, false),
		lang(langC, "c", false, false),
		lang(langSQL, "sql", false, true),
	}
}

func (v *virtualContext) pgAm() []types.Row {
	return []types.Row{
		{dOID(AmHeap), dStr("heap"), dOID(procHeapTableAmHandler), dChar("t")},
		{dOID(AmBtree), dStr("btree"), dOID(procBtHandler), dChar("i")},
	}
}

// presetSettings are Postgres' read-only "Preset Options": compile-time
// limits that clients read from pg_settings (pgJDBC's getImportedKeys asks
// for max_index_keys and fails without it). streamdb's limits are at least
// these, so the Postgres values are the truthful answer.
var presetSettings = [...]SettingInfo{
	{Name: "block_size", Setting: "8192", Vartype: "integer", ShortDesc: "Shows the size of a disk block.", MinVal: "8192", MaxVal: "8192"},
	{Name: "integer_datetimes", Setting: "on", Vartype: "bool", ShortDesc: "Shows whether datetimes are integer based."},
	{Name: "max_function_args", Setting: "100", Vartype: "integer", ShortDesc: "Shows the maximum number of function arguments.", MinVal: "100", MaxVal: "100"},
	{Name: "max_identifier_length", Setting: "63", Vartype: "integer", ShortDesc: "Shows the maximum identifier length.", MinVal: "63", MaxVal: "63"},
	{Name: "max_index_keys", Setting: "32", Vartype: "integer", ShortDesc: "Shows the maximum number of index keys.", MinVal: "32", MaxVal: "32"},
}

func (v *virtualContext) pgSettings() []types.Row {
	settings := v.in.Settings
	for _, p := range presetSettings {
		known := false
		for i := range settings {
			known = known || settings[i].Name == p.Name
		}
		if !known {
			p.Category, p.Context, p.Source = "Preset Options", "internal", "default"
			settings = append(settings[:len(settings):len(settings)], p)
		}
	}
	rows := make([]types.Row, 0, len(settings))
	for i := range settings {
		s := &settings[i]
		enumvals := types.Null
		if len(s.EnumVals) > 0 {
			enumvals = dTextArray(s.EnumVals)
		}
		boot := s.BootVal
		if boot == "" {
			boot = s.Setting
		}
		rows = append(rows, types.Row{
			dStr(s.Name), dStr(s.Setting), dStrOrNull(s.Unit), dStr(s.Category), dStr(s.ShortDesc),
			types.Null, dStr(s.Context), dStr(s.Vartype), dStr(s.Source), dStrOrNull(s.MinVal),
			dStrOrNull(s.MaxVal), enumvals, dStr(boot), dStr(s.Setting), types.Null,
			types.Null, dBool(false),
		})
	}
	return rows
}

func (v *virtualContext) pgTables() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "r" && r.relkind != "p" {
			continue
		}
		rows = append(rows, types.Row{
			dStr(r.d.Namespace), dStr(r.d.Name), dStr(v.roleName(r.ownerOID)), types.Null,
			dBool(len(r.indexes) > 0), dBool(false), dBool(false), dBool(false),
		})
	}
	return rows
}

// systemViewDefinition stands in for the definition of a built-in view,
// which is generated code rather than SQL.
const systemViewDefinition = " SELECT (built-in system view);"

func (v *virtualContext) pgViews() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "v" {
			continue
		}
		def := ViewDefinitionText(r.d.Query)
		if r.system {
			def = systemViewDefinition
		}
		rows = append(rows, types.Row{dStr(r.d.Namespace), dStr(r.d.Name), dStr(v.roleName(r.ownerOID)), dStr(def)})
	}
	return rows
}

func (v *virtualContext) pgMatviews() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "m" {
			continue
		}
		rows = append(rows, types.Row{
			dStr(r.d.Namespace), dStr(r.d.Name), dStr(v.roleName(r.ownerOID)), types.Null,
			dBool(len(r.indexes) > 0), dBool(true), dStr(ViewDefinitionText(r.d.Query)),
		})
	}
	return rows
}

func (v *virtualContext) pgIndexes() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "r" && r.relkind != "m" && r.relkind != "p" {
			continue
		}
		for i := range r.indexes {
			ix := &r.indexes[i]
			rows = append(rows, types.Row{dStr(r.d.Namespace), dStr(r.d.Name), dStr(ix.Name), types.Null, dStr(indexDef(r.d, ix))})
		}
	}
	return rows
}

// sequenceParams are a sequence's settings, read from its WITH options
// (start, increment, minvalue, maxvalue, cache, cycle) with Postgres'
// defaults for an ascending bigint sequence.
type sequenceParams struct {
	start, increment, min, max, cache int64
	cycle                             bool
	last                              types.Datum
}

func sequenceParamsOf(d *Descriptor) sequenceParams {
	p := sequenceParams{start: 1, increment: 1, min: 1, max: math.MaxInt64, cache: 1}
	num := func(key string, dst *int64) {
		if s, ok := d.Options[key]; ok {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				*dst = n
			}
		}
	}
	num("increment", &p.increment)
	if p.increment < 0 {
		p.min, p.max = math.MinInt64, -1
	}
	num("minvalue", &p.min)
	num("maxvalue", &p.max)
	if p.increment < 0 {
		p.start = p.max
	} else {
		p.start = p.min
	}
	num("start", &p.start)
	num("cache", &p.cache)
	p.cycle = d.Options["cycle"] == "true"
	if s, ok := d.Options["last_value"]; ok {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			p.last = types.DInt(n)
		}
	}
	return p
}

func (v *virtualContext) pgSequence() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "S" {
			continue
		}
		p := sequenceParamsOf(r.d)
		rows = append(rows, types.Row{
			dOID(r.d.OID), dOID(types.OidInt8), types.DInt(p.start), types.DInt(p.increment),
			types.DInt(p.max), types.DInt(p.min), types.DInt(p.cache), dBool(p.cycle),
		})
	}
	return rows
}

func (v *virtualContext) pgSequences() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "S" {
			continue
		}
		p := sequenceParamsOf(r.d)
		rows = append(rows, types.Row{
			dStr(r.d.Namespace), dStr(r.d.Name), dStr(v.roleName(r.ownerOID)),
			dOID(types.OidInt8), types.DInt(p.start), types.DInt(p.min), types.DInt(p.max),
			types.DInt(p.increment), dBool(p.cycle), types.DInt(p.cache), p.last,
		})
	}
	return rows
}

func (v *virtualContext) pgStatActivity() []types.Row {
	rows := make([]types.Row, 0, len(v.in.Activity))
	for i := range v.in.Activity {
		a := &v.in.Activity[i]
		db := a.Database
		if db == "" {
			db = v.database()
		}
		backendType := a.BackendType
		if backendType == "" {
			backendType = "client backend"
		}
		port := types.Null
		if a.ClientPort != 0 {
			port = types.DInt(int64(a.ClientPort))
		}
		rows = append(rows, types.Row{
			dOID(v.dbOID), dStr(db), types.DInt(int64(a.PID)), types.Null, dOID(v.ownerOID(a.User)),
			dStr(a.User), dStr(a.AppName), dStrOrNull(a.ClientAddr), types.Null,
			port, dTimeOrNull(a.BackendStart), dTimeOrNull(a.XactStart),
			dTimeOrNull(a.QueryStart), dTimeOrNull(a.StateChange), types.Null,
			types.Null, dStrOrNull(a.State), types.Null, types.Null, types.Null,
			dStr(a.Query), dStr(backendType),
		})
	}
	return rows
}

func (v *virtualContext) pgDepend() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		// A sequence owned by a column (serial, identity) depends on it
		// automatically; psql's \d on the sequence prints "Owned by".
		if r.relkind == "S" && r.d.OwnedBy != 0 {
			deptype := "a"
			if owner, ok := v.relByOID[r.d.OwnedBy]; ok {
				for i := range owner.d.Columns {
					if attNum(owner.d, i) == r.d.OwnedByCol && owner.d.Columns[i].Identity != "" {
						deptype = "i"
					}
				}
			}
			rows = append(rows, types.Row{
				dOID(OIDPgClass), dOID(r.d.OID), dInt(0), dOID(OIDPgClass), dOID(r.d.OwnedBy),
				types.DInt(int64(r.d.OwnedByCol)), dChar(deptype),
			})
		}
	}
	return rows
}

func (v *virtualContext) pgCollation() []types.Row {
	coll := func(oid uint32, name, provider string, locale types.Datum) types.Row {
		return types.Row{
			dOID(oid), dStr(name), dOID(NamespacePgCatalog), dOID(BootstrapSuperuserOID),
			dChar(provider), dBool(true), dInt(-1), locale,
			locale, types.Null, types.Null, types.Null,
		}
	}
	return []types.Row{
		coll(CollationDefault, "default", "d", types.Null),
		coll(CollationC, "C", "c", dStr("C")),
		coll(CollationPOSIX, "POSIX", "c", dStr("POSIX")),
	}
}

func (v *virtualContext) pgTablespace() []types.Row {
	return []types.Row{
		{dOID(1663), dStr("pg_default"), dOID(BootstrapSuperuserOID), types.Null, types.Null},
		{dOID(1664), dStr("pg_global"), dOID(BootstrapSuperuserOID), types.Null, types.Null},
	}
}

// timezoneNames are the zones pg_timezone_names lists (a short list of the
// common ones, not the whole tz database).
var timezoneNames = []string{
	"UTC", "Etc/UTC", "GMT", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow",
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Sao_Paulo", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Asia/Singapore",
	"Australia/Sydney",
}

func (v *virtualContext) pgTimezoneNames() []types.Row {
	rows := make([]types.Row, 0, len(timezoneNames))
	for _, name := range timezoneNames {
		loc, err := time.LoadLocation(name)
		if err != nil {
			continue // no tz database on this machine
		}
		at := v.now.In(loc)
		abbrev, offset := at.Zone()
		rows = append(rows, types.Row{
			dStr(name), dStr(abbrev),
			types.DInterval(types.IntervalValue{Micros: int64(offset) * 1_000_000}),
			dBool(at.IsDST()),
		})
	}
	return rows
}

func (v *virtualContext) pgPreparedStatements() []types.Row {
	rows := make([]types.Row, 0, len(v.in.PreparedStatements))
	for i := range v.in.PreparedStatements {
		p := &v.in.PreparedStatements[i]
		rows = append(rows, types.Row{
			dStr(p.Name), dStr(p.Statement), dTimeOrNull(p.PrepareTime),
			dOIDArray(types.RegType, p.ParamTypes), dOIDArray(types.RegType, p.ResultTypes),
			dBool(p.FromSQL), types.DInt(0), types.DInt(0),
		})
	}
	return rows
}

func (v *virtualContext) pgCursors() []types.Row {
	rows := make([]types.Row, 0, len(v.in.Cursors))
	for i := range v.in.Cursors {
		c := &v.in.Cursors[i]
		rows = append(rows, types.Row{
			dStr(c.Name), dStr(c.Statement), dBool(c.Holdable), dBool(c.Binary),
			dBool(c.Scrollable), dTimeOrNull(c.CreationTime),
		})
	}
	return rows
}

// statTablesRow is a pg_stat_*_tables row with every counter at zero: we
// do not count scans or tuples per table yet.
func statTablesRow(r *relInfo) types.Row {
	zero := types.DInt(0)
	return types.Row{
		dOID(r.d.OID), dStr(r.d.Namespace), dStr(r.d.Name), zero,
		types.Null, zero, zero, types.Null,
		zero, zero, zero, zero, zero,
		zero, zero, zero, zero,
		zero, types.Null, types.Null,
		types.Null, types.Null, zero,
		zero, zero, zero,
	}
}

func isSystemNamespace(ns string) bool {
	return ns == "pg_catalog" || ns == "information_schema" || ns == "pg_toast"
}

func (v *virtualContext) pgStatUserTables() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if (r.relkind == "r" || r.relkind == "m" || r.relkind == "p") && !isSystemNamespace(r.d.Namespace) && !r.system {
			rows = append(rows, statTablesRow(r))
		}
	}
	return rows
}

func (v *virtualContext) pgStatAllTables() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind == "r" || r.relkind == "m" || r.relkind == "p" {
			rows = append(rows, statTablesRow(r))
		}
	}
	return rows
}

const statIndexesColumns = `relid oid, indexrelid oid, schemaname name, relname name,
	indexrelname name, idx_scan int8, last_idx_scan timestamptz, idx_tup_read int8,
	idx_tup_fetch int8`

func (v *virtualContext) statIndexes(userOnly bool) []types.Row {
	var rows []types.Row
	zero := types.DInt(0)
	for _, r := range v.rels {
		if userOnly && (r.system || isSystemNamespace(r.d.Namespace)) {
			continue
		}
		for i := range r.indexes {
			ix := &r.indexes[i]
			rows = append(rows, types.Row{
				dOID(r.d.OID), dOID(ix.OID), dStr(r.d.Namespace), dStr(r.d.Name),
				dStr(ix.Name), zero, types.Null, zero, zero,
			})
		}
	}
	return rows
}

func (v *virtualContext) pgStatUserIndexes() []types.Row { return v.statIndexes(true) }
func (v *virtualContext) pgStatAllIndexes() []types.Row  { return v.statIndexes(false) }

func (v *virtualContext) pgStatioUserTables() []types.Row {
	var rows []types.Row
	zero := types.DInt(0)
	for _, r := range v.rels {
		if (r.relkind == "r" || r.relkind == "m" || r.relkind == "p") && !r.system && !isSystemNamespace(r.d.Namespace) {
			idx := types.Null
			if len(r.indexes) > 0 {
				idx = zero
			}
			rows = append(rows, types.Row{
				dOID(r.d.OID), dStr(r.d.Namespace), dStr(r.d.Name), zero,
				zero, idx, idx, types.Null,
				types.Null, types.Null, types.Null,
			})
		}
	}
	return rows
}

func (v *virtualContext) pgStatDatabase() []types.Row {
	zero := types.DInt(0)
	fzero := types.DFloat(0)
	return []types.Row{row(
		[]types.Datum{dOID(v.dbOID), dStr(v.database()), dInt(len(v.in.Activity))},
		[]types.Datum{zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero, zero},
		[]types.Datum{types.Null, fzero, fzero, fzero, fzero, fzero},
		[]types.Datum{dInt(len(v.in.Activity)), zero, zero, zero, types.Null},
	)}
}

func (v *virtualContext) pgShadow() []types.Row {
	rows := v.pgUser()
	for _, r := range rows {
		r[6] = types.Null // the password hash is not shown
	}
	return rows
}

func (v *virtualContext) pgGroup() []types.Row {
	var rows []types.Row
	for _, r := range v.roles {
		if r.Login {
			continue // pg_group lists roles that cannot log in
		}
		rows = append(rows, types.Row{dStr(r.Name), dOID(r.OID), dOIDArray(types.Oid, nil)})
	}
	return rows
}

func (v *virtualContext) pgAggregate() []types.Row {
	var rows []types.Row
	for i := range v.in.Functions {
		f := &v.in.Functions[i]
		if f.Kind != 'a' {
			continue
		}
		rows = append(rows, types.Row{
			dOID(f.OID), dChar("n"), dInt(0),
			dOID(0), dOID(0), dOID(0),
			dOID(0), dOID(0), dOID(0),
			dOID(0), dOID(0), dBool(false),
			dBool(false), dChar("r"), dChar("r"), dOID(0),
			dOID(f.RetType), dInt(0), dOID(0), dInt(0),
			types.Null, types.Null,
		})
	}
	return rows
}

// btreeOpclass is a row of pg_opclass: the default btree operator class of
// a type (Postgres' OIDs), which pg_index.indclass names per key column.
type btreeOpclass struct {
	oid, family uint32
	name        string
}

// btreeOpclasses by input type OID, for the types streamdb indexes.
var btreeOpclasses = map[uint32]btreeOpclass{
	types.OidBool: {10003, 424, "bool_ops"}, types.OidBytea: {10006, 428, "bytea_ops"},
	types.OidChar: {10007, 429, "char_ops"}, types.OidName: {10028, 1994, "name_ops"},
	types.OidInt8: {3124, 1976, "int8_ops"}, types.OidInt2: {1979, 1976, "int2_ops"},
	types.OidInt4: {1978, 1976, "int4_ops"}, types.OidText: {3126, 1994, "text_ops"},
	types.OidOid: {1981, 1989, "oid_ops"}, types.OidFloat4: {10012, 1970, "float4_ops"},
	types.OidFloat8: {3123, 1970, "float8_ops"}, types.OidBPChar: {10004, 426, "bpchar_ops"},
	types.OidDate: {3122, 434, "date_ops"}, types.OidTime: {10038, 1996, "time_ops"},
	types.OidTimestamp: {3128, 434, "timestamp_ops"}, types.OidTimestampTZ: {3127, 434, "timestamptz_ops"},
	types.OidInterval: {10022, 1982, "interval_ops"}, types.OidNumeric: {3125, 1988, "numeric_ops"},
	types.OidAnyArray: {10000, 397, "array_ops"}, types.OidJSONB: {10088, 4033, "jsonb_ops"},
}

// defaultBtreeOpclass is the operator class an index key of type t gets:
// varchar shares text's, arrays share anyarray's (as in Postgres).
func defaultBtreeOpclass(t *types.T) btreeOpclass {
	switch {
	case t == nil:
		return btreeOpclass{}
	case t.Oid == types.OidVarchar:
		return btreeOpclasses[types.OidText]
	case t.Family == types.ArrayFamily:
		return btreeOpclasses[types.OidAnyArray]
	}
	return btreeOpclasses[t.Oid]
}

func (v *virtualContext) pgOpclass() []types.Row {
	rows := make([]types.Row, 0, len(btreeOpclasses))
	for intype, c := range btreeOpclasses {
		rows = append(rows, types.Row{
			dOID(c.oid), dOID(AmBtree), dStr(c.name), dOID(NamespacePgCatalog), dOID(BootstrapSuperuserOID),
			dOID(c.family), dOID(intype), dBool(true), dOID(0),
		})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i][0].I < rows[j][0].I })
	return rows
}

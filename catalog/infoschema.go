package catalog

import (
	"strconv"

	"github.com/streamdb/streamdb/sql/types"
)

// infoSchemaTables lists the information_schema views (OIDs 13001-13099).
func infoSchemaTables() []*virtualTable {
	const is = "information_schema"
	return []*virtualTable{
		{schema: is, name: "schemata", oid: 13001, relkind: "v",
			columns: cols(`catalog_name sql_identifier, schema_name sql_identifier,
				schema_owner sql_identifier, default_character_set_catalog sql_identifier,
				default_character_set_schema sql_identifier,
				default_character_set_name sql_identifier, sql_path character_data`),
			generate: (*virtualContext).isSchemata},
		{schema: is, name: "tables", oid: 13002, relkind: "v",
			columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
				table_name sql_identifier, table_type character_data,
				self_referencing_column_name sql_identifier, reference_generation character_data,
				user_defined_type_catalog sql_identifier, user_defined_type_schema sql_identifier,
				user_defined_type_name sql_identifier, is_insertable_into yes_or_no,
				is_typed yes_or_no, commit_action character_data`),
			generate: (*virtualContext).isTables},
		{schema: is, name: "columns", oid: 13003, relkind: "v",
			columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
				table_name sql_identifier, column_name sql_identifier,
				ordinal_position cardinal_number, column_default character_data,
				is_nullable yes_or_no, data_type character_data,
				character_maximum_length cardinal_number, character_octet_length cardinal_number,
				numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
				numeric_scale cardinal_number, datetime_precision cardinal_number,
				interval_type character_data, interval_precision cardinal_number,
				character_set_catalog sql_identifier, character_set_schema sql_identifier,
				character_set_name sql_identifier, collation_catalog sql_identifier,
				collation_schema sql_identifier, collation_name sql_identifier,
				domain_catalog sql_identifier, domain_schema sql_identifier,
				domain_name sql_identifier, udt_catalog sql_identifier, udt_schema sql_identifier,
				udt_name sql_identifier, scope_catalog sql_identifier, scope_schema sql_identifier,
				scope_name sql_identifier, maximum_cardinality cardinal_number,
				dtd_identifier sql_identifier, is_self_referencing yes_or_no,
				is_identity yes_or_no, identity_generation character_data,
				identity_start character_data, identity_increment character_data,
				identity_maximum character_data, identity_minimum character_data,
				identity_cycle yes_or_no, is_generated character_data,
				generation_expression character_data, is_updatable yes_or_no`),
			generate: (*virtualContext).isColumns},
		{schema: is, name: "views", oid: 13004, relkind: "v",
			columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
				table_name sql_identifier, view_definition character_data,
				check_option character_data, is_updatable yes_or_no, is_insertable_into yes_or_no,
				is_trigger_updatable yes_or_no, is_trigger_deletable yes_or_no,
				is_trigger_insertable_into yes_or_no`),
			generate: (*virtualContext).isViews},
		{schema: is, name: "table_constraints", oid: 13005, relkind: "v",
			columns: cols(`constraint_catalog sql_identifier, constraint_schema sql_identifier,
				constraint_name sql_identifier, table_catalog sql_identifier,
				table_schema sql_identifier, table_name sql_identifier,
				constraint_type character_data, is_deferrable yes_or_no,
				initially_deferred yes_or_no, enforced yes_or_no, nulls_distinct yes_or_no`),
			generate: (*virtualContext).isTableConstraints},
		{schema: is, name: "key_column_usage", oid: 13006, relkind: "v",
			columns: cols(`constraint_catalog sql_identifier, constraint_schema sql_identifier,
				constraint_name sql_identifier, table_catalog sql_identifier,
				table_schema sql_identifier, table_name sql_identifier,
				column_name sql_identifier, ordinal_position cardinal_number,
				position_in_unique_constraint cardinal_number`),
			generate: (*virtualContext).isKeyColumnUsage},
		{schema: is, name: "referential_constraints", oid: 13007, relkind: "v",
			columns: cols(`constraint_catalog sql_identifier, constraint_schema sql_identifier,
				constraint_name sql_identifier, unique_constraint_catalog sql_identifier,
				unique_constraint_schema sql_identifier, unique_constraint_name sql_identifier,
				match_option character_data, update_rule character_data,
				delete_rule character_data`)},
		{schema: is, name: "constraint_column_usage", oid: 13008, relkind: "v",
			columns: cols(`table_catalog sql_identifier, table_schema sql_identifier,
				table_name sql_identifier, column_name sql_identifier,
				constraint_catalog sql_identifier, constraint_schema sql_identifier,
				constraint_name sql_identifier`),
			generate: (*virtualContext).isConstraintColumnUsage},
		{schema: is, name: "check_constraints", oid: 13009, relkind: "v",
			columns: cols(`constraint_catalog sql_identifier, constraint_schema sql_identifier,
				constraint_name sql_identifier, check_clause character_data`),
			generate: (*virtualContext).isCheckConstraints},
		{schema: is, name: "sequences", oid: 13010, relkind: "v",
			columns: cols(`sequence_catalog sql_identifier, sequence_schema sql_identifier,
				sequence_name sql_identifier, data_type character_data,
				numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
				numeric_scale cardinal_number, start_value character_data,
				minimum_value character_data, maximum_value character_data,
				increment character_data, cycle_option yes_or_no`),
			generate: (*virtualContext).isSequences},
		{schema: is, name: "routines", oid: 13011, relkind: "v",
			columns:  cols(routinesColumns),
			generate: (*virtualContext).isRoutines},
		{schema: is, name: "parameters", oid: 13012, relkind: "v",
			columns: cols(`specific_catalog sql_identifier, specific_schema sql_identifier,
				specific_name sql_identifier, ordinal_position cardinal_number,
				parameter_mode character_data, is_result yes_or_no, as_locator yes_or_no,
				parameter_name sql_identifier, data_type character_data,
				character_maximum_length cardinal_number, character_octet_length cardinal_number,
				character_set_catalog sql_identifier, character_set_schema sql_identifier,
				character_set_name sql_identifier, collation_catalog sql_identifier,
				collation_schema sql_identifier, collation_name sql_identifier,
				numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
				numeric_scale cardinal_number, datetime_precision cardinal_number,
				interval_type character_data, interval_precision cardinal_number,
				udt_catalog sql_identifier, udt_schema sql_identifier, udt_name sql_identifier,
				scope_catalog sql_identifier, scope_schema sql_identifier,
				scope_name sql_identifier, maximum_cardinality cardinal_number,
				dtd_identifier sql_identifier, parameter_default character_data`),
			generate: (*virtualContext).isParameters},
		{schema: is, name: "character_sets", oid: 13013, relkind: "v",
			columns: cols(`character_set_catalog sql_identifier, character_set_schema sql_identifier,
				character_set_name sql_identifier, character_repertoire sql_identifier,
				form_of_use sql_identifier, default_collate_catalog sql_identifier,
				default_collate_schema sql_identifier, default_collate_name sql_identifier`),
			generate: (*virtualContext).isCharacterSets},
		{schema: is, name: "triggers", oid: 13014, relkind: "v",
			columns: cols(`trigger_catalog sql_identifier, trigger_schema sql_identifier,
				trigger_name sql_identifier, event_manipulation character_data,
				event_object_catalog sql_identifier, event_object_schema sql_identifier,
				event_object_table sql_identifier, action_order cardinal_number,
				action_condition character_data, action_statement character_data,
				action_orientation character_data, action_timing character_data,
				action_reference_old_table sql_identifier,
				action_reference_new_table sql_identifier,
				action_reference_old_row sql_identifier, action_reference_new_row sql_identifier,
				created time_stamp`)},
		{schema: is, name: "enabled_roles", oid: 13015, relkind: "v",
			columns:  cols("role_name sql_identifier"),
			generate: (*virtualContext).isEnabledRoles},
		{schema: is, name: "applicable_roles", oid: 13016, relkind: "v",
			columns: cols("grantee sql_identifier, role_name sql_identifier, is_grantable yes_or_no")},
		{schema: is, name: "role_table_grants", oid: 13017, relkind: "v",
			columns:  cols(tableGrantsColumns),
			generate: (*virtualContext).isTableGrants},
		{schema: is, name: "table_privileges", oid: 13018, relkind: "v",
			columns:  cols(tableGrantsColumns),
			generate: (*virtualContext).isTableGrants},
		{schema: is, name: "column_privileges", oid: 13019, relkind: "v",
			columns: cols(`grantor sql_identifier, grantee sql_identifier,
				table_catalog sql_identifier, table_schema sql_identifier,
				table_name sql_identifier, column_name sql_identifier,
				privilege_type character_data, is_grantable yes_or_no`)},
		{schema: is, name: "domains", oid: 13020, relkind: "v",
			columns: cols(`domain_catalog sql_identifier, domain_schema sql_identifier,
				domain_name sql_identifier, data_type character_data,
				character_maximum_length cardinal_number, character_octet_length cardinal_number,
				character_set_catalog sql_identifier, character_set_schema sql_identifier,
				character_set_name sql_identifier, collation_catalog sql_identifier,
				collation_schema sql_identifier, collation_name sql_identifier,
				numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
				numeric_scale cardinal_number, datetime_precision cardinal_number,
				interval_type character_data, interval_precision cardinal_number,
				domain_default character_data, udt_catalog sql_identifier,
				udt_schema sql_identifier, udt_name sql_identifier, scope_catalog sql_identifier,
				scope_schema sql_identifier, scope_name sql_identifier,
				maximum_cardinality cardinal_number, dtd_identifier sql_identifier`)},
		{schema: is, name: "element_types", oid: 13021, relkind: "v",
			columns: cols(`object_catalog sql_identifier, object_schema sql_identifier,
				object_name sql_identifier, object_type character_data,
				collection_type_identifier sql_identifier, data_type character_data,
				character_maximum_length cardinal_number, character_octet_length cardinal_number,
				character_set_catalog sql_identifier, character_set_schema sql_identifier,
				character_set_name sql_identifier, collation_catalog sql_identifier,
				collation_schema sql_identifier, collation_name sql_identifier,
				numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
				numeric_scale cardinal_number, datetime_precision cardinal_number,
				interval_type character_data, interval_precision cardinal_number,
				domain_default character_data, udt_catalog sql_identifier,
				udt_schema sql_identifier, udt_name sql_identifier, scope_catalog sql_identifier,
				scope_schema sql_identifier, scope_name sql_identifier,
				maximum_cardinality cardinal_number, dtd_identifier sql_identifier`),
			generate: (*virtualContext).isElementTypes},
		{schema: is, name: "collations", oid: 13022, relkind: "v",
			columns: cols(`collation_catalog sql_identifier, collation_schema sql_identifier,
				collation_name sql_identifier, pad_attribute character_data`),
			generate: (*virtualContext).isCollations},
		{schema: is, name: "view_table_usage", oid: 13023, relkind: "v",
			columns: cols(`view_catalog sql_identifier, view_schema sql_identifier,
				view_name sql_identifier, table_catalog sql_identifier,
				table_schema sql_identifier, table_name sql_identifier`),
			generate: (*virtualContext).isViewTableUsage},
		{schema: is, name: "view_column_usage", oid: 13024, relkind: "v",
			columns: cols(`view_catalog sql_identifier, view_schema sql_identifier,
				view_name sql_identifier, table_catalog sql_identifier,
				table_schema sql_identifier, table_name sql_identifier,
				column_name sql_identifier`)},
		{schema: is, name: "column_udt_usage", oid: 13025, relkind: "v",
			columns: cols(`udt_catalog sql_identifier, udt_schema sql_identifier,
				udt_name sql_identifier, table_catalog sql_identifier,
				table_schema sql_identifier, table_name sql_identifier,
				column_name sql_identifier`),
			generate: (*virtualContext).isColumnUdtUsage},
		{schema: is, name: "usage_privileges", oid: 13026, relkind: "v",
			columns: cols(`grantor sql_identifier, grantee sql_identifier,
				object_catalog sql_identifier, object_schema sql_identifier,
				object_name sql_identifier, object_type character_data,
				privilege_type character_data, is_grantable yes_or_no`)},
		{schema: is, name: "foreign_tables", oid: 13027, relkind: "v",
			columns: cols(`foreign_table_catalog sql_identifier,
				foreign_table_schema sql_identifier, foreign_table_name sql_identifier,
				foreign_server_catalog sql_identifier, foreign_server_name sql_identifier`)},
		{schema: is, name: "routine_privileges", oid: 13028, relkind: "v",
			columns: cols(`grantor sql_identifier, grantee sql_identifier,
				specific_catalog sql_identifier, specific_schema sql_identifier,
				specific_name sql_identifier, routine_catalog sql_identifier,
				routine_schema sql_identifier, routine_name sql_identifier,
				privilege_type character_data, is_grantable yes_or_no`)},
	}
}

const tableGrantsColumns = `grantor sql_identifier, grantee sql_identifier,
	table_catalog sql_identifier, table_schema sql_identifier, table_name sql_identifier,
	privilege_type character_data, is_grantable yes_or_no, with_hierarchy yes_or_no`

const routinesColumns = `specific_catalog sql_identifier, specific_schema sql_identifier,
	specific_name sql_identifier, routine_catalog sql_identifier, routine_schema sql_identifier,
	routine_name sql_identifier, routine_type character_data, module_catalog sql_identifier,
	module_schema sql_identifier, module_name sql_identifier, udt_catalog sql_identifier,
	udt_schema sql_identifier, udt_name sql_identifier, data_type character_data,
	character_maximum_length cardinal_number, character_octet_length cardinal_number,
	character_set_catalog sql_identifier, character_set_schema sql_identifier,
	character_set_name sql_identifier, collation_catalog sql_identifier,
	collation_schema sql_identifier, collation_name sql_identifier,
	numeric_precision cardinal_number, numeric_precision_radix cardinal_number,
	numeric_scale cardinal_number, datetime_precision cardinal_number,
	interval_type character_data, interval_precision cardinal_number,
	type_udt_catalog sql_identifier, type_udt_schema sql_identifier,
	type_udt_name sql_identifier, scope_catalog sql_identifier, scope_schema sql_identifier,
	scope_name sql_identifier, maximum_cardinality cardinal_number,
	dtd_identifier sql_identifier, routine_body character_data,
	routine_definition character_data, external_name character_data,
	external_language character_data, parameter_style character_data,
	is_deterministic yes_or_no, sql_data_access character_data, is_null_call yes_or_no,
	sql_path character_data, schema_level_routine yes_or_no,
	max_dynamic_result_sets cardinal_number, is_user_defined_cast yes_or_no,
	is_implicitly_invocable yes_or_no, security_type character_data,
	to_sql_specific_catalog sql_identifier, to_sql_specific_schema sql_identifier,
	to_sql_specific_name sql_identifier, as_locator yes_or_no, created time_stamp,
	last_altered time_stamp, new_savepoint_level yes_or_no, is_udt_dependent yes_or_no,
	result_cast_from_data_type character_data, result_cast_as_locator yes_or_no,
	result_cast_char_max_length cardinal_number, result_cast_char_octet_length cardinal_number,
	result_cast_char_set_catalog sql_identifier, result_cast_char_set_schema sql_identifier,
	result_cast_char_set_name sql_identifier, result_cast_collation_catalog sql_identifier,
	result_cast_collation_schema sql_identifier, result_cast_collation_name sql_identifier,
	result_cast_numeric_precision cardinal_number,
	result_cast_numeric_precision_radix cardinal_number,
	result_cast_numeric_scale cardinal_number, result_cast_datetime_precision cardinal_number,
	result_cast_interval_type character_data, result_cast_interval_precision cardinal_number,
	result_cast_type_udt_catalog sql_identifier, result_cast_type_udt_schema sql_identifier,
	result_cast_type_udt_name sql_identifier, result_cast_scope_catalog sql_identifier,
	result_cast_scope_schema sql_identifier, result_cast_scope_name sql_identifier,
	result_cast_maximum_cardinality cardinal_number, result_cast_dtd_identifier sql_identifier`

func (v *virtualContext) isSchemata() []types.Row {
	rows := make([]types.Row, 0, len(v.namespaces))
	for _, ns := range v.namespaces {
		rows = append(rows, types.Row{
			dStr(v.database()), dStr(ns.Name), dStr(v.roleName(v.ownerOID(ns.Owner))),
			types.Null, types.Null, types.Null, types.Null,
		})
	}
	return rows
}

// insertable reports whether rows can be written to the relation with SQL
// (plain tables; not sources, views or system tables).
func insertable(r *relInfo) bool { return !r.system && r.d.Kind == KindTable }

func (v *virtualContext) isTables() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		var tableType string
		switch r.relkind {
		case "r", "p":
			tableType = "BASE TABLE"
		case "v":
			tableType = "VIEW"
		default:
			continue // Postgres leaves materialized views, sequences and indexes out
		}
		rows = append(rows, types.Row{
			dStr(v.database()), dStr(r.d.Namespace), dStr(r.d.Name), dStr(tableType),
			types.Null, types.Null, types.Null, types.Null,
			types.Null, dYesNo(insertable(r)), dYesNo(false), types.Null,
		})
	}
	return rows
}

// Maximum octet length of an unbounded character value, as
// information_schema reports it (1 GB).
const maxCharOctetLength = 1073741824

// utf8MaxBytes is pg_encoding_max_length(UTF8).
const utf8MaxBytes = 4

// columnTypeFacts holds the type columns information_schema.columns and
// friends derive from a column type.
type columnTypeFacts struct {
	dataType                              string
	charMaxLength, charOctetLength        types.Datum
	numericPrecision, radix, numericScale types.Datum
	datetimePrecision                     types.Datum
}

func typeFacts(t *types.T) columnTypeFacts {
	f := columnTypeFacts{dataType: t.Name()}
	if isArrayType(t) {
		f.dataType = "ARRAY"
	}
	switch t.Oid {
	case types.OidVarchar, types.OidBPChar, types.OidText:
		if n := t.MaxLength(); n >= 0 {
			f.charMaxLength = dInt(n)
			f.charOctetLength = dInt(n * utf8MaxBytes)
		} else {
			f.charOctetLength = dInt(maxCharOctetLength)
		}
	case types.OidInt2, types.OidInt4, types.OidInt8:
		f.numericPrecision, f.radix, f.numericScale = dInt(t.Width), dInt(2), dInt(0)
	case types.OidFloat4:
		f.numericPrecision, f.radix = dInt(24), dInt(2)
	case types.OidFloat8:
		f.numericPrecision, f.radix = dInt(53), dInt(2)
	case types.OidNumeric:
		f.radix = dInt(10)
		if p, s := t.NumericPrecisionScale(); p >= 0 {
			f.numericPrecision, f.numericScale = dInt(p), dInt(s)
		}
	case types.OidDate:
		f.datetimePrecision = dInt(0)
	case types.OidTime, types.OidTimestamp, types.OidTimestampTZ, types.OidInterval:
		precision := 6
		if t.Typmod >= 0 && t.Oid != types.OidInterval {
			precision = int(t.Typmod)
		}
		f.datetimePrecision = dInt(precision)
	}
	return f
}

func (v *virtualContext) isColumns() []types.Row {
	var rows []types.Row
	db := dStr(v.database())
	for _, r := range v.rels {
		if r.relkind != "r" && r.relkind != "v" && r.relkind != "p" {
			continue // Postgres lists no materialized view columns here
		}
		d := r.d
		for i := range d.Columns {
			c := &d.Columns[i]
			if c.Dropped || !visibleColumn(d, i) {
				continue
			}
			t := columnType(c)
			f := typeFacts(t)
			num := attNum(d, i)
			isIdentity := c.Identity == "a" || c.Identity == "d"
			// identity_cycle is NO for every column in Postgres, not only
			// identity ones.
			identityGeneration, identityCycle := types.Null, dYesNo(false)
			if isIdentity {
				identityGeneration = dStr("BY DEFAULT")
				if c.Identity == "a" {
					identityGeneration = dStr("ALWAYS")
				}
			}
			columnDefault := types.Null
			if !isIdentity {
				columnDefault = dStrOrNull(c.Default)
			}
			rows = append(rows, row(
				[]types.Datum{db, dStr(d.Namespace), dStr(d.Name), dStr(c.Name),
					types.DInt(int64(num)), columnDefault, dYesNo(!columnNotNull(d, i)), dStr(f.dataType),
					f.charMaxLength, f.charOctetLength, f.numericPrecision, f.radix,
					f.numericScale, f.datetimePrecision, types.Null, types.Null},
				nulls(9), // character set, collation (default), domain
				[]types.Datum{db, dStr("pg_catalog"), dStr(t.TypName())},
				nulls(4), // scope, maximum_cardinality
				[]types.Datum{dStr(strconv.Itoa(int(num))), dYesNo(false),
					dYesNo(isIdentity), identityGeneration,
					types.Null, types.Null, types.Null, types.Null,
					identityCycle, dStr("NEVER"), types.Null, dYesNo(insertable(r))},
			))
		}
	}
	return rows
}

func (v *virtualContext) isViews() []types.Row {
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "v" {
			continue
		}
		def := dStr(ViewDefinitionText(r.d.Query))
		if r.system {
			def = types.Null
		}
		no := dYesNo(false)
		rows = append(rows, types.Row{
			dStr(v.database()), dStr(r.d.Namespace), dStr(r.d.Name), def,
			dStr("NONE"), no, no, no, no, no,
		})
	}
	return rows
}

// tableConstraint is one constraint as information_schema describes it.
type tableConstraint struct {
	r       *relInfo
	name    string
	kind    string // PRIMARY KEY, CHECK
	columns []string
	check   string
}

// tableConstraints lists the constraints of the tables: primary keys,
// CHECK constraints, and the implicit CHECK (col IS NOT NULL) Postgres
// reports for every NOT NULL column.
func (v *virtualContext) tableConstraints() []tableConstraint {
	var out []tableConstraint
	for _, r := range v.rels {
		if r.relkind != "r" && r.relkind != "p" {
			continue
		}
		if pk := r.primaryIndex(); pk != nil {
			out = append(out, tableConstraint{r: r, name: pk.Name, kind: "PRIMARY KEY", columns: slotNames(r.d, pk.Columns)})
		}
		for _, c := range r.d.Checks {
			out = append(out, tableConstraint{r: r, name: c.Name, kind: "CHECK", check: checkDef(c.Expr)[len("CHECK "):]})
		}
		for i := range r.d.Columns {
			c := &r.d.Columns[i]
			if c.Dropped || !visibleColumn(r.d, i) || !columnNotNull(r.d, i) {
				continue
			}
			out = append(out, tableConstraint{
				r: r, name: notNullConstraintName(r.nsOID, r.d.OID, attNum(r.d, i)), kind: "CHECK",
				check: quoteIdent(c.Name) + " IS NOT NULL",
			})
		}
	}
	return out
}

func (v *virtualContext) isTableConstraints() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, tc := range v.tableConstraints() {
		// nulls_distinct is set for UNIQUE constraints only, which we
		// do not have (unique indexes are not constraints).
		nullsDistinct := types.Null
		ns := dStr(tc.r.d.Namespace)
		rows = append(rows, types.Row{
			db, ns, dStr(tc.name), db, ns, dStr(tc.r.d.Name),
			dStr(tc.kind), dYesNo(false), dYesNo(false), dYesNo(true), nullsDistinct,
		})
	}
	return rows
}

func (v *virtualContext) isKeyColumnUsage() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, tc := range v.tableConstraints() {
		if tc.kind != "PRIMARY KEY" {
			continue
		}
		ns := dStr(tc.r.d.Namespace)
		for i, col := range tc.columns {
			rows = append(rows, types.Row{
				db, ns, dStr(tc.name), db, ns, dStr(tc.r.d.Name), dStr(col), dInt(i + 1), types.Null,
			})
		}
	}
	return rows
}

func (v *virtualContext) isConstraintColumnUsage() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, tc := range v.tableConstraints() {
		ns := dStr(tc.r.d.Namespace)
		for _, col := range tc.columns {
			rows = append(rows, types.Row{db, ns, dStr(tc.r.d.Name), dStr(col), db, ns, dStr(tc.name)})
		}
	}
	return rows
}

func (v *virtualContext) isCheckConstraints() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, tc := range v.tableConstraints() {
		if tc.kind != "CHECK" {
			continue
		}
		rows = append(rows, types.Row{db, dStr(tc.r.d.Namespace), dStr(tc.name), dStr(tc.check)})
	}
	return rows
}

func (v *virtualContext) isSequences() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, r := range v.rels {
		if r.relkind != "S" {
			continue
		}
		p := sequenceParamsOf(r.d)
		i64 := func(n int64) types.Datum { return dStr(strconv.FormatInt(n, 10)) }
		rows = append(rows, types.Row{
			db, dStr(r.d.Namespace), dStr(r.d.Name), dStr("bigint"),
			dInt(64), dInt(2), dInt(0), i64(p.start),
			i64(p.min), i64(p.max), i64(p.increment), dYesNo(p.cycle),
		})
	}
	return rows
}

func (v *virtualContext) isRoutines() []types.Row {
	db := dStr(v.database())
	rows := make([]types.Row, 0, len(v.in.Functions))
	for i := range v.in.Functions {
		f := &v.in.Functions[i]
		ns := f.Namespace
		if ns == 0 {
			ns = NamespacePgCatalog
		}
		schema := dStr(v.nsName[ns])
		specific := dStr(f.Name + "_" + strconv.FormatUint(uint64(f.OID), 10))
		ret := builtinTypes[f.RetType]
		dataType, udtName := types.Null, types.Null
		if ret != nil {
			dataType = dStr(typeFacts(ret).dataType)
			udtName = dStr(ret.TypName())
		}
		// routines has 82 columns; we fill the identifying ones and the
		// result type and leave the rest NULL.
		r := make(types.Row, 82)
		copy(r, []types.Datum{db, schema, specific, db, schema, dStr(f.Name), dStr("FUNCTION")})
		r[13] = dataType
		r[28], r[29], r[30] = db, dStr("pg_catalog"), udtName // type_udt_*
		r[36] = dStr("EXTERNAL")                              // routine_body
		r[38] = dStr(f.Name)                                  // external_name
		r[39] = dStr("INTERNAL")                              // external_language
		r[40] = dStr("GENERAL")                               // parameter_style
		r[41] = dYesNo(f.Volatility == 'i')                   // is_deterministic
		r[42] = dStr("MODIFIES")                              // sql_data_access
		r[43] = dYesNo(!f.Strict)                             // is_null_call
		r[45] = dYesNo(true)                                  // schema_level_routine
		r[46] = dInt(0)                                       // max_dynamic_result_sets
		r[47] = dYesNo(false)                                 // is_user_defined_cast
		r[48] = dYesNo(false)                                 // is_implicitly_invocable
		r[49] = dStr("INVOKER")                               // security_type
		r[53] = dYesNo(false)                                 // as_locator
		r[57] = dYesNo(false)                                 // is_udt_dependent
		rows = append(rows, r)
	}
	return rows
}

func (v *virtualContext) isCharacterSets() []types.Row {
	return []types.Row{{
		types.Null, types.Null, dStr("UTF8"), dStr("UCS"), dStr("UTF8"),
		dStr(v.database()), dStr("pg_catalog"), dStr("default"),
	}}
}

func (v *virtualContext) isEnabledRoles() []types.Row {
	user := v.in.User
	if user == "" {
		user = v.roleName(BootstrapSuperuserOID)
	}
	return []types.Row{{dStr(user)}}
}

// tablePrivileges are the privileges an owner holds on its table.
var tablePrivileges = []string{"INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"}

func (v *virtualContext) isTableGrants() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, r := range v.rels {
		if r.system || (r.relkind != "r" && r.relkind != "v" && r.relkind != "m" && r.relkind != "p") {
			continue
		}
		owner := dStr(v.roleName(r.ownerOID))
		for _, p := range tablePrivileges {
			rows = append(rows, types.Row{
				owner, owner, db, dStr(r.d.Namespace), dStr(r.d.Name),
				dStr(p), dYesNo(true), dYesNo(p == "SELECT"),
			})
		}
		rows = v.appendGrantRows(rows, r, owner, db)
	}
	return rows
}

// userColumns calls fn for each live column of the user tables and views
// (information_schema's column-level views leave system tables and
// materialized views out the way columns does).
func (v *virtualContext) userColumns(fn func(r *relInfo, i int)) {
	for _, r := range v.rels {
		if r.system || (r.relkind != "r" && r.relkind != "v" && r.relkind != "p") {
			continue
		}
		for i := range r.d.Columns {
			if !r.d.Columns[i].Dropped && visibleColumn(r.d, i) {
				fn(r, i)
			}
		}
	}
}

func (v *virtualContext) isElementTypes() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	v.userColumns(func(r *relInfo, i int) {
		t := columnType(&r.d.Columns[i])
		if !isArrayType(t) || t.Elem == nil {
			return
		}
		f := typeFacts(t.Elem)
		rows = append(rows, row(
			[]types.Datum{db, dStr(r.d.Namespace), dStr(r.d.Name), dStr("TABLE"),
				dStr(strconv.Itoa(int(attNum(r.d, i)))), dStr(f.dataType),
				f.charMaxLength, f.charOctetLength},
			nulls(6), // character set, collation
			[]types.Datum{f.numericPrecision, f.radix, f.numericScale, f.datetimePrecision,
				types.Null, types.Null, types.Null,
				db, dStr("pg_catalog"), dStr(t.Elem.TypName())},
			nulls(4), // scope, maximum_cardinality
			[]types.Datum{dStr("a")},
		))
	})
	return rows
}

func (v *virtualContext) isCollations() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, name := range []string{"C", "POSIX"} {
		rows = append(rows, types.Row{db, dStr("pg_catalog"), dStr(name), dStr("NO PAD")})
	}
	return rows
}

func (v *virtualContext) isViewTableUsage() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for _, r := range v.rels {
		if r.system || r.relkind != "v" {
			continue
		}
		for _, dep := range r.d.DependsOn {
			t, ok := v.relByOID[dep]
			if !ok {
				continue
			}
			rows = append(rows, types.Row{db, dStr(r.d.Namespace), dStr(r.d.Name), db, dStr(t.d.Namespace), dStr(t.d.Name)})
		}
	}
	return rows
}

func (v *virtualContext) isColumnUdtUsage() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	v.userColumns(func(r *relInfo, i int) {
		c := &r.d.Columns[i]
		rows = append(rows, types.Row{
			db, dStr("pg_catalog"), dStr(columnType(c).TypName()),
			db, dStr(r.d.Namespace), dStr(r.d.Name), dStr(c.Name),
		})
	})
	return rows
}

func (v *virtualContext) isParameters() []types.Row {
	db := dStr(v.database())
	var rows []types.Row
	for i := range v.in.Functions {
		f := &v.in.Functions[i]
		ns := f.Namespace
		if ns == 0 {
			ns = NamespacePgCatalog
		}
		schema := dStr(v.nsName[ns])
		specific := dStr(f.Name + "_" + strconv.FormatUint(uint64(f.OID), 10))
		for k, argOID := range f.ArgTypes {
			t := builtinTypes[argOID]
			dataType, udtName := types.Null, types.Null
			if t != nil {
				dataType, udtName = dStr(typeFacts(t).dataType), dStr(t.TypName())
			}
			rows = append(rows, row(
				[]types.Datum{db, schema, specific, dInt(k + 1), dStr("IN"), dYesNo(false), dYesNo(false),
					types.Null, dataType},
				nulls(14), // lengths, character set, collation, numeric and datetime facts
				[]types.Datum{db, dStr("pg_catalog"), udtName},
				nulls(4), // scope, maximum_cardinality
				[]types.Datum{dStr(strconv.Itoa(k + 1)), types.Null},
			))
		}
	}
	return rows
}

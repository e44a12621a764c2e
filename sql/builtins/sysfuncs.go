package builtins

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

// SequenceAccess is implemented by the value the server puts in
// Context.Catalog when sequences exist: nextval, currval and setval
// type-assert Context.Catalog to it. (Context is part of the frozen API, so
// sequences travel through the catalog accessor rather than a new field.)
type SequenceAccess interface {
	NextVal(seqOID uint32) (int64, error)
	CurrVal(seqOID uint32) (int64, error)
	// SetVal sets the sequence's value; isCalled false makes the next
	// nextval return v itself. It returns v.
	SetVal(seqOID uint32, v int64, isCalled bool) (int64, error)
}

func sequences(ctx *Context) (SequenceAccess, error) {
	if ctx != nil {
		if s, ok := ctx.Catalog.(SequenceAccess); ok {
			return s, nil
		}
	}
	return nil, types.Unsupported("sequences")
}

func session(ctx *Context) SessionInfo {
	if ctx == nil {
		return nil
	}
	return ctx.Session
}

func registerSysFuncs(b *registryBuilder) {
	T, N, I, I8, O, B := types.Text, types.Name, types.Int4, types.Int8, types.Oid, types.Bool
	countNulls := func(nulls bool) Fn {
		return func(_ *Context, a []types.Datum) (types.Datum, error) {
			n := 0
			for _, d := range a {
				if d.IsNull() == nulls {
					n++
				}
			}
			return types.DInt(int64(n)), nil
		}
	}
	b.fn(&Overload{Name: "num_nonnulls", Variadic: types.Any, Ret: I, CalledOnNull: true, Fn: countNulls(false)})
	b.fn(&Overload{Name: "num_nulls", Variadic: types.Any, Ret: I, CalledOnNull: true, Fn: countNulls(true)})
	b.fn(&Overload{Name: "version", Ret: T, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		v := "16.0"
		if s := session(ctx); s != nil {
			if sv, ok := s.Setting("server_version"); ok {
				v = sv
			}
		}
		return types.DString("PostgreSQL " + v + " (streamdb) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"), nil
	}})
	user := func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		if s := session(ctx); s != nil {
			return types.DString(s.User()), nil
		}
		return types.Null, nil
	}
	for _, name := range []string{"current_user", "session_user", "user", "current_role"} {
		b.fn(&Overload{Name: name, Ret: N, Volatility: Stable, Fn: user})
	}
	db := func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		if s := session(ctx); s != nil {
			return types.DString(s.Database()), nil
		}
		return types.Null, nil
	}
	b.fn(&Overload{Name: "current_database", Ret: N, Volatility: Stable, Fn: db})
	b.fn(&Overload{Name: "current_catalog", Ret: N, Volatility: Stable, Fn: db})
	b.fn(&Overload{Name: "current_schema", Ret: N, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		for _, s := range searchPath(ctx, false) {
			return types.DString(s), nil
		}
		return types.Null, nil
	}})
	b.fn(&Overload{Name: "current_schemas", Args: args(B), Ret: types.NameArray, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		var out []types.Datum
		for _, s := range searchPath(ctx, a[0].Bool()) {
			out = append(out, types.DString(s))
		}
		return newArray(types.Name, out), nil
	}})
	b.fn(&Overload{Name: "pg_backend_pid", Ret: I, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		if s := session(ctx); s != nil {
			return types.DInt(int64(s.BackendPID())), nil
		}
		return types.DInt(0), nil
	}})
	currentSetting := func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.Null, nil
		}
		missingOK := len(a) > 1 && !a[1].IsNull() && a[1].Bool()
		if s := session(ctx); s != nil {
			if v, ok := s.Setting(strings.ToLower(a[0].S)); ok {
				return types.DString(v), nil
			}
		}
		if missingOK {
			return types.Null, nil
		}
		return types.Null, types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter \"%s\"", a[0].S)
	}
	b.fn(&Overload{Name: "current_setting", Args: args(T), Ret: T, Volatility: Stable, Fn: currentSetting})
	b.fn(&Overload{Name: "current_setting", Args: args(T, B), Ret: T, Volatility: Stable, CalledOnNull: true, Fn: currentSetting})
	b.fn(&Overload{Name: "set_config", Args: args(T, T, B), Ret: T, Volatility: Volatile, CalledOnNull: true, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.Null, types.Errorf(types.CodeNullValueNotAllowed, "SET requires parameter name")
		}
		s := session(ctx)
		if s == nil {
			return types.Null, types.Unsupported("set_config without a session")
		}
		if err := s.SetSetting(strings.ToLower(a[0].S), a[1].S, !a[2].IsNull() && a[2].Bool()); err != nil {
			return types.Null, err
		}
		if v, ok := s.Setting(strings.ToLower(a[0].S)); ok {
			return types.DString(v), nil
		}
		return a[1], nil
	}})
	b.fnBound(&Overload{Name: "pg_typeof", Args: args(types.Any), Ret: types.RegType, CalledOnNull: true}, func(ts []*types.T, _ *types.T) Fn {
		oid := int64(ts[0].Oid)
		return func(_ *Context, _ []types.Datum) (types.Datum, error) { return types.DInt(oid), nil }
	})
	b.fn(&Overload{Name: "format_type", Args: args(O, I), Ret: T, CalledOnNull: true, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[0].IsNull() {
			return types.Null, nil
		}
		t := types.ByOid(uint32(a[0].I))
		if t == nil {
			return types.DString("???"), nil
		}
		if !a[1].IsNull() && a[1].I >= 0 {
			t = t.WithTypmod(int32(a[1].I))
		}
		return types.DString(t.String()), nil
	}})
	b.fn(&Overload{Name: "pg_table_is_visible", Args: args(O), Ret: B, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if ctx == nil || ctx.Catalog == nil {
			return types.DBool(true), nil
		}
		return types.DBool(ctx.Catalog.TableIsVisible(uint32(a[0].I))), nil
	}})
	for _, name := range []string{"pg_type_is_visible", "pg_function_is_visible", "pg_operator_is_visible", "pg_opclass_is_visible", "pg_collation_is_visible", "pg_conversion_is_visible", "pg_ts_config_is_visible"} {
		b.fn(&Overload{Name: name, Args: args(O), Ret: B, Volatility: Stable, Fn: constFn(types.DBool(true))})
	}
	catalogText := func(lookup func(c CatalogInfo, oid uint32) (string, bool)) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			if ctx == nil || ctx.Catalog == nil {
				return types.Null, nil
			}
			if s, ok := lookup(ctx.Catalog, uint32(a[0].I)); ok {
				return types.DString(s), nil
			}
			return types.Null, nil
		}
	}
	indexDef := catalogText(func(c CatalogInfo, oid uint32) (string, bool) { return c.IndexDef(oid) })
	viewDef := catalogText(func(c CatalogInfo, oid uint32) (string, bool) { return c.ViewDef(oid) })
	conDef := catalogText(func(c CatalogInfo, oid uint32) (string, bool) { return c.ConstraintDef(oid) })
	b.fn(&Overload{Name: "pg_get_indexdef", Args: args(O), Ret: T, Volatility: Stable, Fn: indexDef})
	b.fn(&Overload{Name: "pg_get_indexdef", Args: args(O, I, B), Ret: T, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		def, err := indexDef(ctx, a)
		if err != nil || def.IsNull() {
			return def, err
		}
		if a[1].I != 0 {
			// Column k: the k-th key (pgJDBC's getIndexInfo COLUMN_NAME,
			// psql's \d of an index); "" past the last, as in Postgres.
			return types.DString(indexDefColumn(def.S, int(a[1].I))), nil
		}
		if a[2].Bool() && ctx.Catalog.TableIsVisible(uint32(a[0].I)) {
			// Pretty output names the table unqualified when the search
			// path finds it (psql's \d lists indexes that way).
			return types.DString(unqualifyIndexTable(def.S)), nil
		}
		return def, nil
	}})
	b.fn(&Overload{Name: "pg_stat_get_numscans", Args: args(O), Ret: I8, Volatility: Stable, Fn: constFn(types.DInt(0))})
	b.fn(&Overload{Name: "pg_get_viewdef", Args: args(O), Ret: T, Volatility: Stable, Fn: viewDef})
	b.fn(&Overload{Name: "pg_get_viewdef", Args: args(O, B), Ret: T, Volatility: Stable, Fn: viewDef})
	b.fn(&Overload{Name: "pg_get_viewdef", Args: args(O, I), Ret: T, Volatility: Stable, Fn: viewDef})
	b.fn(&Overload{Name: "pg_get_constraintdef", Args: args(O), Ret: T, Volatility: Stable, Fn: conDef})
	b.fn(&Overload{Name: "pg_get_constraintdef", Args: args(O, B), Ret: T, Volatility: Stable, Fn: conDef})
	// pg_get_expr(adbin, relid): our pg_attrdef.adbin holds either the
	// expression text itself (returned as is) or the column number, which
	// the catalog resolves.
	getExpr := func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if n, err := strconv.ParseInt(strings.TrimSpace(a[0].S), 10, 32); err == nil && ctx != nil && ctx.Catalog != nil {
			if s, ok := ctx.Catalog.ExprDef(uint32(a[1].I), int32(n)); ok {
				return types.DString(s), nil
			}
		}
		return a[0], nil
	}
	b.fn(&Overload{Name: "pg_get_expr", Args: args(T, O), Ret: T, Volatility: Stable, Fn: getExpr})
	b.fn(&Overload{Name: "pg_get_expr", Args: args(T, O, B), Ret: T, Volatility: Stable, Fn: getExpr})
	b.fn(&Overload{Name: "pg_get_userbyid", Args: args(O), Ret: N, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if ctx != nil && ctx.Catalog != nil {
			if s, ok := ctx.Catalog.RoleName(uint32(a[0].I)); ok {
				return types.DString(s), nil
			}
		}
		return types.DString(fmt.Sprintf("unknown (OID=%d)", a[0].I)), nil
	}})
	comment := func(attnum func(a []types.Datum) int32) Fn {
		return func(ctx *Context, a []types.Datum) (types.Datum, error) {
			if ctx == nil || ctx.Catalog == nil {
				return types.Null, nil
			}
			if s, ok := ctx.Catalog.Comment(uint32(a[0].I), attnum(a)); ok {
				return types.DString(s), nil
			}
			return types.Null, nil
		}
	}
	objComment := comment(func([]types.Datum) int32 { return 0 })
	b.fn(&Overload{Name: "obj_description", Args: args(O), Ret: T, Volatility: Stable, Fn: objComment})
	b.fn(&Overload{Name: "obj_description", Args: args(O, N), Ret: T, Volatility: Stable, Fn: objComment})
	b.fn(&Overload{Name: "shobj_description", Args: args(O, N), Ret: T, Volatility: Stable, Fn: objComment})
	b.fn(&Overload{Name: "col_description", Args: args(O, I), Ret: T, Volatility: Stable, Fn: comment(func(a []types.Datum) int32 { return int32(a[1].I) })})
	privileges := []struct {
		name  string
		nargs []int
	}{
		{"has_table_privilege", []int{2, 3}}, {"has_schema_privilege", []int{2, 3}},
		{"has_database_privilege", []int{2, 3}}, {"has_column_privilege", []int{3, 4}},
		{"has_sequence_privilege", []int{2, 3}}, {"has_function_privilege", []int{2, 3}},
		{"has_any_column_privilege", []int{2, 3}}, {"has_tablespace_privilege", []int{2, 3}},
		{"pg_has_role", []int{2, 3}},
	}
	for _, p := range privileges {
		kind := strings.TrimPrefix(strings.TrimSuffix(p.name, "_privilege"), "has_")
		if p.name == "pg_has_role" {
			kind = "role"
		}
		for _, n := range p.nargs {
			as := make([]*types.T, n)
			for i := range as {
				as[i] = types.Any
			}
			withRole := n == p.nargs[len(p.nargs)-1]
			b.fn(&Overload{Name: p.name, Args: as, Ret: B, Volatility: Stable, Fn: privilegeFn(kind, withRole)})
		}
	}
	b.fn(&Overload{Name: "pg_encoding_to_char", Args: args(I), Ret: N, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		switch a[0].I {
		case 0:
			return types.DString("SQL_ASCII"), nil
		case 6:
			return types.DString("UTF8"), nil
		}
		return types.DString(""), nil
	}})
	b.fn(&Overload{Name: "pg_char_to_encoding", Args: args(N), Ret: I, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		switch strings.ToUpper(a[0].S) {
		case "UTF8", "UTF-8", "UNICODE":
			return types.DInt(6), nil
		case "SQL_ASCII":
			return types.DInt(0), nil
		}
		return types.DInt(-1), nil
	}})
	b.fn(&Overload{Name: "pg_get_partkeydef", Args: args(O), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_get_serial_sequence", Args: args(T, T), Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "pg_tablespace_location", Args: args(O), Ret: T, Fn: constFn(types.DString(""))})
	for _, name := range []string{"pg_relation_size", "pg_total_relation_size", "pg_table_size", "pg_indexes_size"} {
		b.fn(&Overload{Name: name, Args: args(types.RegClass), Ret: I8, Volatility: Volatile, Fn: constFn(types.DInt(0))})
	}
	b.fn(&Overload{Name: "pg_relation_size", Args: args(types.RegClass, T), Ret: I8, Volatility: Volatile, Fn: constFn(types.DInt(0))})
	b.fn(&Overload{Name: "pg_database_size", Args: args(N), Ret: I8, Volatility: Volatile, Fn: constFn(types.DInt(0))})
	b.fn(&Overload{Name: "pg_database_size", Args: args(O), Ret: I8, Volatility: Volatile, Fn: constFn(types.DInt(0))})
	b.fn(&Overload{Name: "pg_size_pretty", Args: args(I8), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DString(sizePretty(apd.New(a[0].I, 0))), nil
	}})
	b.fn(&Overload{Name: "pg_size_pretty", Args: args(types.Numeric), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DString(sizePretty(datumDec(a[0]))), nil
	}})
	b.fn(&Overload{Name: "pg_postmaster_start_time", Ret: types.TimestampTZ, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		if s := session(ctx); s != nil {
			if v, ok := s.Setting("streamdb.start_time"); ok {
				if d, err := types.ParseText(v, types.TimestampTZ, loc(ctx)); err == nil {
					return d, nil
				}
			}
		}
		return types.DTimestampTZ(stmtMicros(ctx)), nil
	}})
	b.fn(&Overload{Name: "inet_server_addr", Ret: T, Volatility: Stable, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "inet_server_port", Ret: I, Volatility: Stable, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "inet_client_addr", Ret: T, Volatility: Stable, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "txid_current", Ret: I8, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		// There are no transaction ids; the statement time is unique and
		// increasing, which is what callers of txid_current rely on.
		return types.DInt(stmtMicros(ctx)), nil
	}})
	b.fn(&Overload{Name: "pg_is_in_recovery", Ret: B, Volatility: Volatile, Fn: constFn(types.DBool(false))})
	b.fn(&Overload{Name: "pg_jit_available", Ret: B, Fn: constFn(types.DBool(false))})
	b.fn(&Overload{Name: "pg_backend_memory_contexts", Ret: T, Fn: constFn(types.Null)})
	b.fn(&Overload{Name: "to_regclass", Args: args(T), Ret: types.RegClass, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if ctx == nil || ctx.Catalog == nil {
			return types.Null, nil
		}
		oid, err := ctx.Catalog.RelationOID(a[0].S)
		if err != nil {
			return types.Null, nil
		}
		return types.DInt(int64(oid)), nil
	}})
	b.fn(&Overload{Name: "to_regtype", Args: args(T), Ret: types.RegType, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		d, err := textIn(ctx, a[0].S, types.RegType)
		if err != nil {
			return types.Null, nil
		}
		return d, nil
	}})
	b.fn(&Overload{Name: "to_regnamespace", Args: args(T), Ret: types.RegNamespace, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		d, err := textIn(ctx, a[0].S, types.RegNamespace)
		if err != nil {
			return types.Null, nil
		}
		return d, nil
	}})

	// Sequences (see SequenceAccess).
	rc := types.RegClass
	b.fn(&Overload{Name: "nextval", Args: args(rc), Ret: I8, Volatility: Volatile, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		s, err := sequences(ctx)
		if err != nil {
			return types.Null, err
		}
		v, err := s.NextVal(uint32(a[0].I))
		return types.DInt(v), err
	}})
	b.fn(&Overload{Name: "currval", Args: args(rc), Ret: I8, Volatility: Volatile, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		s, err := sequences(ctx)
		if err != nil {
			return types.Null, err
		}
		v, err := s.CurrVal(uint32(a[0].I))
		return types.DInt(v), err
	}})
	setval := func(ctx *Context, a []types.Datum) (types.Datum, error) {
		s, err := sequences(ctx)
		if err != nil {
			return types.Null, err
		}
		called := true
		if len(a) > 2 {
			called = a[2].Bool()
		}
		v, err := s.SetVal(uint32(a[0].I), a[1].I, called)
		return types.DInt(v), err
	}
	b.fn(&Overload{Name: "setval", Args: args(rc, I8), Ret: I8, Volatility: Volatile, Fn: setval})
	b.fn(&Overload{Name: "setval", Args: args(rc, I8, B), Ret: I8, Volatility: Volatile, Fn: setval})
}

func constFn(d types.Datum) Fn {
	return func(_ *Context, _ []types.Datum) (types.Datum, error) { return d, nil }
}

func searchPath(ctx *Context, includeImplicit bool) []string {
	var out []string
	if includeImplicit {
		out = append(out, "pg_catalog")
	}
	s := session(ctx)
	if s == nil {
		return append(out, "public")
	}
	for _, p := range s.SearchPath() {
		if p == "$user" {
			continue
		}
		if p == "pg_catalog" && includeImplicit {
			continue
		}
		out = append(out, p)
	}
	return out
}

// sizePretty follows pg_size_pretty: units step by 1024 once a value
// reaches 10240 of the smaller unit, rounding half up.
func sizePretty(d *apd.Decimal) string {
	v := floatFromDec(d)
	neg := v < 0
	if neg {
		v = -v
	}
	units := []string{"bytes", "kB", "MB", "GB", "TB", "PB"}
	i := 0
	for i < len(units)-1 && v >= 10240-0.5 {
		v /= 1024
		i++
	}
	n := int64(v + 0.5)
	if i == 0 {
		n = int64(v)
	}
	if neg {
		n = -n
	}
	return strconv.FormatInt(n, 10) + " " + units[i]
}

// privilegeFn implements one form of a has_*_privilege function: the
// arguments are [role,] object[, column], privileges, where role and object
// are names or OIDs. The catalog answers from the real grants; without one
// (unit tests of other functions) everything is allowed, as for the
// superuser. An object OID that does not exist gives NULL, as in Postgres.
func privilegeFn(kind string, withRole bool) Fn {
	return func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if ctx == nil || ctx.Catalog == nil {
			return types.DBool(true), nil
		}
		req := PrivilegeRequest{Kind: kind, Role: types.Null}
		if withRole {
			req.Role, a = a[0], a[1:]
		}
		req.Object = a[0]
		if kind == "column" {
			req.Column = a[1]
		}
		req.Privileges = a[len(a)-1].S
		has, ok, err := ctx.Catalog.HasPrivilege(req)
		if err != nil || !ok {
			return types.Null, err
		}
		return types.DBool(has), nil
	}
}

// indexDefColumn returns the k-th key of a CREATE INDEX text
// ("... USING btree (a, "B c")" -> a, "B c"), or "" when there is none.
func indexDefColumn(def string, k int) string {
	open := strings.LastIndex(def, " (")
	if open < 0 || !strings.HasSuffix(def, ")") {
		return ""
	}
	var keys []string
	depth, quoted, start := 0, false, open+2
	body := def[:len(def)-1]
	for i := start; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			keys = append(keys, strings.TrimSpace(body[start:i]))
			start = i + 1
		}
	}
	keys = append(keys, strings.TrimSpace(body[start:]))
	if k < 1 || k > len(keys) {
		return ""
	}
	return keys[k-1]
}

// unqualifyIndexTable drops the schema from "... ON schema.table USING".
func unqualifyIndexTable(def string) string {
	on := strings.Index(def, " ON ")
	using := strings.Index(def, " USING ")
	if on < 0 || using < on {
		return def
	}
	name := def[on+4 : using]
	quoted := false
	for i := 0; i < len(name); i++ {
		switch {
		case name[i] == '"':
			quoted = !quoted
		case name[i] == '.' && !quoted:
			return def[:on+4] + name[i+1:] + def[using:]
		}
	}
	return def
}

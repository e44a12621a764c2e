package planner

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/sql/types"
)

// typeByName maps Postgres type names (as the grammar produces them) to
// types.
var typeByName = map[string]*types.T{
	"bool": types.Bool, "boolean": types.Bool,
	"int2": types.Int2, "smallint": types.Int2,
	"int4": types.Int4, "int": types.Int4, "integer": types.Int4,
	"int8": types.Int8, "bigint": types.Int8,
	"float4": types.Float4, "real": types.Float4,
	"float8": types.Float8, "double precision": types.Float8,
	"numeric": types.Numeric, "decimal": types.Numeric,
	"text": types.Text, "varchar": types.Varchar, "character varying": types.Varchar,
	"bpchar": types.BPChar, "character": types.BPChar, "char": types.BPChar,
	"name": types.Name, "bytea": types.Bytea, "uuid": types.UUID,
	"date": types.Date, "time": types.Time, "timestamp": types.Timestamp, "timestamptz": types.TimestampTZ,
	"interval": types.Interval, "jsonb": types.JSONB, "json": types.JSON,
	"oid": types.Oid, "regclass": types.RegClass, "regtype": types.RegType, "regproc": types.RegProc,
	"regprocedure": types.RegProcedure, "regnamespace": types.RegNamespace, "regrole": types.RegRole, "regoper": types.RegOper,
	"int2vector": types.Int2Vector, "oidvector": types.OidVector,
	"record": types.Record, "void": types.Void, "unknown": types.Unknown,
	"anyelement": types.AnyElement, "anyarray": types.AnyArray,
}

// LookupTypeName resolves a bare type name (no modifiers).
func LookupTypeName(name string) (*types.T, bool) {
	name = strings.ToLower(name)
	if strings.HasSuffix(name, "[]") {
		el, ok := LookupTypeName(strings.TrimSuffix(name, "[]"))
		if !ok {
			return nil, false
		}
		at := types.ArrayOf(el)
		return at, at != nil
	}
	if strings.HasPrefix(name, "_") {
		if el, ok := typeByName[name[1:]]; ok {
			at := types.ArrayOf(el)
			return at, at != nil
		}
	}
	t, ok := typeByName[name]
	return t, ok
}

// ResolveType resolves a parsed type name with its modifiers and array
// bounds.
func (b *Binder) ResolveType(tn *pg_query.TypeName) (*types.T, error) {
	t, err := ResolveTypeName(tn)
	if err != nil {
		return nil, b.errAt(err, tn.Location)
	}
	return t, nil
}

// ResolveTypeName resolves a parsed type name without a binder (DDL).
func ResolveTypeName(tn *pg_query.TypeName) (*types.T, error) {
	names := nameList(tn.Names)
	name := names[len(names)-1]
	if len(names) == 2 && names[0] != "pg_catalog" && names[0] != "public" {
		return nil, types.Errorf(types.CodeUndefinedObject, "type \"%s\" does not exist", strings.Join(names, "."))
	}
	if tn.PctType {
		return nil, unsupported("%%TYPE")
	}
	// The grammar spells char(n) without pg_catalog as bpchar; a bare
	// "char" (quoted) is the one-byte internal type.
	if name == "char" && len(names) == 1 {
		t := types.Char
		return withArray(t, tn)
	}
	t, ok := LookupTypeName(name)
	if !ok {
		switch name {
		case "serial", "bigserial", "smallserial", "serial4", "serial8", "serial2":
			return nil, types.Errorf(types.CodeUndefinedObject, "type %q does not exist", name)
		case "timetz":
			return nil, unsupported("type time with time zone")
		}
		return nil, types.Errorf(types.CodeUndefinedObject, "type %q does not exist", name)
	}
	mods := make([]int64, 0, len(tn.Typmods))
	for _, m := range tn.Typmods {
		c := m.GetAConst()
		if c == nil || c.GetIval() == nil {
			return nil, types.Errorf(types.CodeSyntaxError, "type modifiers must be simple constants or identifiers")
		}
		mods = append(mods, int64(c.GetIval().Ival))
	}
	switch t.Oid {
	case types.OidVarchar, types.OidBPChar:
		switch {
		case len(mods) == 1:
			if mods[0] < 1 || mods[0] > 10485760 {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "length for type %s must be at least 1", t.TypName())
			}
			t = t.WithTypmod(int32(mods[0]) + 4)
		case len(mods) == 0 && t.Oid == types.OidBPChar && (name == "bpchar" || name == "character" || name == "char") && len(names) == 2:
			// char without length means char(1).
			t = t.WithTypmod(1 + 4)
		}
	case types.OidNumeric:
		switch len(mods) {
		case 1:
			if mods[0] < 1 || mods[0] > 1000 {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", mods[0])
			}
			t = t.WithTypmod(int32(mods[0]<<16) + 4)
		case 2:
			if mods[0] < 1 || mods[0] > 1000 {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", mods[0])
			}
			if mods[1] < 0 || mods[1] > mods[0] {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "NUMERIC scale %d must be between 0 and precision %d", mods[1], mods[0])
			}
			t = t.WithTypmod(int32(mods[0]<<16|mods[1]) + 4)
		}
	case types.OidFloat4, types.OidFloat8:
		// float(p): p <= 24 is real, else double precision.
		if name == "float8" && len(mods) == 1 {
			if mods[0] < 1 || mods[0] > 53 {
				return nil, types.Errorf(types.CodeInvalidParameterValue, "precision for type float must be between 1 and 53 bits")
			}
			if mods[0] <= 24 {
				t = types.Float4
			}
		}
	case types.OidTimestamp, types.OidTimestampTZ, types.OidTime:
		if len(mods) == 1 {
			if mods[0] < 0 || mods[0] > 6 {
				mods[0] = 6
			}
			t = t.WithTypmod(int32(mods[0]))
		}
	case types.OidInterval:
		// Interval field restrictions (INTERVAL DAY TO SECOND) are accepted
		// and ignored.
	}
	return withArray(t, tn)
}

func withArray(t *types.T, tn *pg_query.TypeName) (*types.T, error) {
	if len(tn.ArrayBounds) == 0 {
		return t, nil
	}
	at := types.ArrayOf(t)
	if at == nil {
		return nil, unsupported("arrays of %s", t.String())
	}
	return at, nil
}

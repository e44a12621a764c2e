package builtins

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/sql/types"
)

func intRank(t *types.T) int {
	switch t.Oid {
	case types.OidInt2:
		return 1
	case types.OidInt4:
		return 2
	case types.OidInt8:
		return 3
	}
	return 0
}

func isRegType(t *types.T) bool {
	switch t.Oid {
	case types.OidRegClass, types.OidRegType, types.OidRegProc, types.OidRegProcedure,
		types.OidRegNamespace, types.OidRegRole, types.OidRegOper:
		return true
	}
	return false
}

// CastContextOf returns where a cast from one type to another may be applied
// (Postgres pg_cast.castcontext, plus the automatic I/O conversions to and
// from string types). CastNone means there is no cast.
func CastContextOf(from, to *types.T) CastContext {
	if isUnknown(from) {
		return CastImplicit
	}
	if to.Oid == types.OidAny || isAnyElement(to) {
		return CastImplicit
	}
	if from.Family == types.ArrayFamily && to.Family == types.ArrayFamily {
		if to.Oid == types.OidAnyArray {
			return CastImplicit
		}
		if from.Elem == nil || to.Elem == nil {
			return CastNone
		}
		if from.Oid == to.Oid && from.Elem.Oid == to.Elem.Oid {
			return CastImplicit
		}
		return CastContextOf(from.Elem, to.Elem)
	}
	if from.Oid == to.Oid {
		return CastImplicit
	}
	if to.Oid == types.OidAnyArray || from.Family == types.RecordFamily || to.Family == types.RecordFamily {
		return CastNone
	}
	ff, tf := from.Family, to.Family
	switch {
	case ff == types.IntFamily && tf == types.IntFamily:
		fr, tr := intRank(from), intRank(to)
		switch {
		case fr > 0 && tr > 0:
			if fr < tr {
				return CastImplicit
			}
			return CastAssignment
		case fr > 0: // int -> oid, reg*
			return CastImplicit
		case tr > 0: // oid, reg* -> int
			if tr == 1 {
				return CastNone
			}
			return CastAssignment
		case from.Oid == types.OidOid || to.Oid == types.OidOid:
			return CastImplicit
		}
		return CastExplicit
	case ff == types.IntFamily && (tf == types.FloatFamily || tf == types.NumericFamily):
		if intRank(from) > 0 {
			return CastImplicit
		}
		return CastNone
	case ff == types.FloatFamily && tf == types.FloatFamily:
		if from.Width < to.Width {
			return CastImplicit
		}
		return CastAssignment
	case ff == types.FloatFamily && (tf == types.IntFamily || tf == types.NumericFamily):
		if tf == types.IntFamily && intRank(to) == 0 {
			return CastNone
		}
		return CastAssignment
	case ff == types.NumericFamily && tf == types.FloatFamily:
		return CastImplicit
	case ff == types.NumericFamily && tf == types.IntFamily:
		if intRank(to) == 0 {
			return CastNone
		}
		return CastAssignment
	case ff == types.IntFamily && tf == types.BoolFamily, ff == types.BoolFamily && tf == types.IntFamily:
		if from.Oid == types.OidInt4 || to.Oid == types.OidInt4 {
			return CastExplicit
		}
		return CastNone
	case ff == types.StringFamily && tf == types.StringFamily:
		if from.Oid == types.OidChar || to.Oid == types.OidChar {
			if to.Oid == types.OidText {
				return CastImplicit
			}
			return CastAssignment
		}
		if from.Oid == types.OidName && (to.Oid == types.OidVarchar || to.Oid == types.OidBPChar) {
			return CastAssignment
		}
		return CastImplicit
	case tf == types.StringFamily:
		return CastAssignment
	case ff == types.StringFamily:
		if to.Oid == types.OidRegClass && from.Oid != types.OidChar {
			return CastImplicit
		}
		return CastExplicit
	case ff == types.DateFamily && (tf == types.TimestampFamily || tf == types.TimestampTZFamily):
		return CastImplicit
	case ff == types.TimestampFamily && tf == types.TimestampTZFamily:
		return CastImplicit
	case ff == types.TimestampTZFamily && tf == types.TimestampFamily:
		return CastAssignment
	case (ff == types.TimestampFamily || ff == types.TimestampTZFamily) && (tf == types.DateFamily || tf == types.TimeFamily):
		return CastAssignment
	case ff == types.TimeFamily && tf == types.IntervalFamily:
		return CastImplicit
	case ff == types.IntervalFamily && tf == types.TimeFamily:
		return CastAssignment
	case ff == types.JSONFamily && tf == types.JSONFamily:
		return CastAssignment
	case ff == types.JSONFamily && to.Oid == types.OidJSONB:
		return CastAssignment
	case from.Oid == types.OidJSONB && (tf == types.BoolFamily || tf == types.NumericFamily || tf == types.FloatFamily || (tf == types.IntFamily && intRank(to) > 0)):
		return CastExplicit
	}
	return CastNone
}

// Cast converts d from one type to another with assignment semantics for
// type modifiers: a too long varchar(n) value is an error (22001).
func Cast(ctx *Context, d types.Datum, from, to *types.T) (types.Datum, error) {
	return CastValue(ctx, d, from, to, false)
}

// CastValue converts d; explicit selects the semantics of a written cast
// (x::varchar(3) truncates silently) rather than an assignment or implicit
// coercion (which raises 22001).
func CastValue(ctx *Context, d types.Datum, from, to *types.T, explicit bool) (types.Datum, error) {
	if d.IsNull() {
		return d, nil
	}
	if isUnknown(from) {
		from = types.Text
	}
	if to.Oid == types.OidAny || isAnyElement(to) || to.Oid == types.OidAnyArray || to.Oid == types.OidUnknown {
		return d, nil
	}
	r := d
	if !from.Equivalent(to) || (from.Family == types.ArrayFamily && to.Elem != nil && to.Elem.Typmod >= 0) {
		var err error
		if r, err = convert(ctx, d, from, to, explicit); err != nil {
			return types.Null, err
		}
	}
	if to.Typmod >= 0 {
		return applyTypmod(r, to, explicit)
	}
	return r, nil
}

func cannotCast(from, to *types.T) error {
	return types.Errorf(types.CodeCannotCoerce, "cannot cast type %s to %s", from.Name(), to.Name())
}

// convert performs the conversion without the target's type modifier.
func convert(ctx *Context, d types.Datum, from, to *types.T, explicit bool) (types.Datum, error) {
	if to.Family == types.StringFamily {
		var s string
		if from.Family == types.StringFamily {
			s = d.S
			if from.Oid == types.OidBPChar && to.Oid != types.OidBPChar {
				s = strings.TrimRight(s, " ")
			}
		} else {
			var err error
			if s, err = textOut(ctx, d, from); err != nil {
				return types.Null, err
			}
		}
		switch to.Oid {
		case types.OidName:
			if len(s) > 63 {
				s = truncateBytes(s, 63)
			}
		case types.OidChar:
			if len(s) > 1 {
				_, n := utf8.DecodeRuneInString(s)
				s = s[:n]
			}
		}
		return types.DString(s), nil
	}
	if from.Family == types.StringFamily {
		return textIn(ctx, d.S, to)
	}
	if from.Family == types.ArrayFamily && to.Family == types.ArrayFamily {
		return castArray(ctx, d, from, to, explicit)
	}
	switch to.Family {
	case types.IntFamily:
		return castToInt(ctx, d, from, to)
	case types.FloatFamily:
		var f float64
		switch d.K {
		case types.KInt:
			f = float64(d.I)
		case types.KFloat:
			f = d.Float()
		case types.KDecimal:
			f = floatFromDec(d.Decimal())
			if math.IsInf(f, 0) && d.Decimal().Form == apd.Finite {
				return types.Null, errFloatOverflow()
			}
		case types.KJSON:
			v, err := jsonScalarFor(d, to)
			if err != nil {
				return types.Null, err
			}
			return convert(ctx, v, types.Numeric, to, explicit)
		default:
			return types.Null, cannotCast(from, to)
		}
		if to.Width == 32 {
			r := float4Result(f)
			if math.IsInf(r, 0) && !math.IsInf(f, 0) {
				return types.Null, errFloatOverflow()
			}
			f = r
		}
		return types.DFloat(f), nil
	case types.NumericFamily:
		switch d.K {
		case types.KInt:
			return dDec(newDec(d.I)), nil
		case types.KFloat:
			return dDec(decFromFloat(d.Float(), from.Width)), nil
		case types.KDecimal:
			return d, nil
		case types.KJSON:
			return jsonScalarFor(d, to)
		}
	case types.BoolFamily:
		switch d.K {
		case types.KInt:
			return types.DBool(d.I != 0), nil
		case types.KBool:
			return d, nil
		case types.KJSON:
			return jsonScalarFor(d, to)
		}
	case types.DateFamily:
		switch d.K {
		case types.KTimestamp, types.KTimestampTZ:
			v := d.I
			if !finiteTS(v) {
				return types.DDate(v), nil
			}
			if d.K == types.KTimestampTZ {
				v = tzToWall(v, loc(ctx))
			}
			return types.DDate(floorDiv(v, usecPerDay)), nil
		}
	case types.TimestampFamily:
		switch d.K {
		case types.KDate:
			if !finiteTS(d.I) {
				return types.DTimestamp(d.I), nil
			}
			return types.DTimestamp(d.I * usecPerDay), nil
		case types.KTimestampTZ:
			return types.DTimestamp(tzToWall(d.I, loc(ctx))), nil
		}
	case types.TimestampTZFamily:
		switch d.K {
		case types.KDate:
			if !finiteTS(d.I) {
				return types.DTimestampTZ(d.I), nil
			}
			return types.DTimestampTZ(wallToTZ(d.I*usecPerDay, loc(ctx))), nil
		case types.KTimestamp:
			return types.DTimestampTZ(wallToTZ(d.I, loc(ctx))), nil
		}
	case types.TimeFamily:
		switch d.K {
		case types.KTimestamp:
			_, tod := splitWall(d.I)
			return types.DTime(tod), nil
		case types.KTimestampTZ:
			_, tod := splitWall(tzToWall(d.I, loc(ctx)))
			return types.DTime(tod), nil
		case types.KInterval:
			return types.DTime(floorMod(d.I, usecPerDay)), nil
		}
	case types.IntervalFamily:
		if d.K == types.KTime {
			return types.DInterval(types.IntervalValue{Micros: d.I}), nil
		}
	case types.JSONFamily:
		if d.K == types.KJSON {
			if to.Oid == types.OidJSONB && from.Oid == types.OidJSON {
				c, err := types.CanonicalJSON(d.S)
				if err != nil {
					return types.Null, err
				}
				return types.DJSON(c), nil
			}
			return d, nil
		}
	}
	return types.Null, cannotCast(from, to)
}

func castToInt(ctx *Context, d types.Datum, from, to *types.T) (types.Datum, error) {
	var v int64
	switch d.K {
	case types.KInt:
		v = d.I
		if isOidType(to) {
			if intRank(from) > 0 && v < 0 && v >= math.MinInt32 {
				v = int64(uint32(int32(v)))
			}
			if v < 0 || v > math.MaxUint32 {
				return types.Null, types.Errorf(types.CodeNumericValueOutOfRange, "OID out of range")
			}
			return types.DInt(v), nil
		}
	case types.KFloat:
		var err error
		if v, err = floatToInt(d.Float(), to.Width); err != nil {
			return types.Null, err
		}
	case types.KDecimal:
		var err error
		if v, err = decToInt(d.Decimal(), to.Width); err != nil {
			return types.Null, err
		}
	case types.KBool:
		v = d.I
	case types.KJSON:
		n, err := jsonScalarFor(d, to)
		if err != nil {
			return types.Null, err
		}
		return castToInt(ctx, n, types.Numeric, to)
	default:
		return types.Null, cannotCast(from, to)
	}
	if isOidType(to) {
		return types.DInt(int64(uint32(v))), nil
	}
	if err := checkIntWidth(v, to.Width); err != nil {
		return types.Null, err
	}
	return types.DInt(v), nil
}

func castArray(ctx *Context, d types.Datum, from, to *types.T, explicit bool) (types.Datum, error) {
	a := d.Array()
	out := &types.Array{Elem: to.Elem, Dims: a.Dims, Elems: make([]types.Datum, len(a.Elems))}
	for i, e := range a.Elems {
		v, err := CastValue(ctx, e, from.Elem, to.Elem, explicit)
		if err != nil {
			return types.Null, err
		}
		out.Elems[i] = v
	}
	return types.DArray(out), nil
}

func truncateBytes(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// textIn parses a string as a value of type t (text -> X casts).
func textIn(ctx *Context, s string, t *types.T) (types.Datum, error) {
	switch {
	case t.Oid == types.OidRegClass:
		if oid, ok := parseOidLiteral(s); ok {
			return types.DInt(oid), nil
		}
		if ctx == nil || ctx.Catalog == nil {
			return types.Null, types.Errorf(types.CodeUndefinedTable, "relation \"%s\" does not exist", s)
		}
		oid, err := ctx.Catalog.RelationOID(s)
		return types.DInt(int64(oid)), err
	case t.Oid == types.OidRegType:
		if oid, ok := parseOidLiteral(s); ok {
			return types.DInt(oid), nil
		}
		if oid, ok := builtinTypeOid(s); ok {
			return types.DInt(int64(oid)), nil
		}
		if ctx == nil || ctx.Catalog == nil {
			return types.Null, types.Errorf(types.CodeUndefinedObject, "type \"%s\" does not exist", s)
		}
		oid, err := ctx.Catalog.TypeOID(s)
		return types.DInt(int64(oid)), err
	case t.Oid == types.OidRegNamespace:
		if oid, ok := parseOidLiteral(s); ok {
			return types.DInt(oid), nil
		}
		if ctx == nil || ctx.Catalog == nil {
			return types.Null, types.Errorf(types.CodeUndefinedSchema, "schema \"%s\" does not exist", s)
		}
		oid, err := ctx.Catalog.NamespaceOID(s)
		return types.DInt(int64(oid)), err
	case t.Oid == types.OidRegProc || t.Oid == types.OidRegProcedure:
		if oid, ok := parseOidLiteral(s); ok {
			return types.DInt(oid), nil
		}
		name := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(s)), "pg_catalog.")
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
		if os := registry().funcs[name]; len(os) > 0 {
			return types.DInt(int64(os[0].Oid)), nil
		}
		if oid, ok := arrayIOProcs[name]; ok {
			return types.DInt(oid), nil
		}
		return types.Null, types.Errorf(types.CodeUndefinedFunction, "function \"%s\" does not exist", s)
	case t.Oid == types.OidRegRole || t.Oid == types.OidRegOper:
		if oid, ok := parseOidLiteral(s); ok {
			return types.DInt(oid), nil
		}
		return types.Null, types.Errorf(types.CodeUndefinedObject, "%s \"%s\" does not exist", t.Name(), s)
	case t.Oid == types.OidJSONB:
		c, err := types.CanonicalJSON(s)
		if err != nil {
			return types.Null, err
		}
		return types.DJSON(c), nil
	case t.Oid == types.OidJSON:
		if err := types.ValidateJSON(s); err != nil {
			return types.Null, err
		}
		return types.DJSON(s), nil
	}
	return types.ParseText(s, t, loc(ctx))
}

func parseOidLiteral(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		if s == "-" {
			return 0, true
		}
		return 0, false
	}
	return int64(v), true
}

// builtinTypeOid resolves the names Postgres accepts for the built-in types.
func builtinTypeOid(name string) (uint32, bool) {
	n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "pg_catalog.")
	if elem, ok := strings.CutSuffix(n, "[]"); ok {
		if eo, ok := builtinTypeOid(elem); ok {
			if at := types.ArrayOf(types.ByOid(eo)); at != nil {
				return at.Oid, true
			}
		}
		return 0, false
	}
	switch n {
	case "int", "integer":
		return types.OidInt4, true
	case "smallint":
		return types.OidInt2, true
	case "bigint":
		return types.OidInt8, true
	case "real", "float":
		if n == "float" {
			return types.OidFloat8, true
		}
		return types.OidFloat4, true
	case "decimal":
		return types.OidNumeric, true
	case "boolean":
		return types.OidBool, true
	case "character varying":
		return types.OidVarchar, true
	case "character", "char":
		return types.OidBPChar, true
	case "timestamp without time zone":
		return types.OidTimestamp, true
	case "timestamp with time zone":
		return types.OidTimestampTZ, true
	case "time without time zone":
		return types.OidTime, true
	}
	for _, t := range types.Builtins() {
		if t.Name() == n || t.TypName() == n {
			return t.Oid, true
		}
	}
	return 0, false
}

// textOut renders d as Postgres's text output of type t.
func textOut(ctx *Context, d types.Datum, t *types.T) (string, error) {
	switch {
	case t.Oid == types.OidRegClass:
		if ctx != nil && ctx.Catalog != nil {
			if n, ok := ctx.Catalog.RelationName(uint32(d.I)); ok {
				return n, nil
			}
		}
		return strconv.FormatInt(d.I, 10), nil
	case t.Oid == types.OidRegType:
		if bt := types.ByOid(uint32(d.I)); bt != nil {
			return bt.Name(), nil
		}
		if d.I == int64(OidAnyNonArray) {
			return "anynonarray", nil
		}
		return strconv.FormatInt(d.I, 10), nil
	case t.Oid == types.OidRegNamespace:
		if ctx != nil && ctx.Catalog != nil {
			if n, ok := ctx.Catalog.NamespaceName(uint32(d.I)); ok {
				return n, nil
			}
		}
		return strconv.FormatInt(d.I, 10), nil
	case t.Oid == types.OidRegRole:
		if ctx != nil && ctx.Catalog != nil {
			if n, ok := ctx.Catalog.RoleName(uint32(d.I)); ok {
				return n, nil
			}
		}
		return strconv.FormatInt(d.I, 10), nil
	case t.Oid == types.OidRegProc || t.Oid == types.OidRegProcedure:
		if d.I == 0 {
			return "-", nil
		}
		if o := overloadByOid(uint32(d.I)); o != nil {
			if t.Oid == types.OidRegProcedure {
				return o.Name + "(" + typeNames(o.Args) + ")", nil
			}
			return o.Name, nil
		}
		return strconv.FormatInt(d.I, 10), nil
	case t.Family == types.StringFamily || t.Oid == types.OidUnknown:
		return d.S, nil
	case t.Family == types.BoolFamily:
		if d.I != 0 {
			return "true", nil
		}
		return "false", nil
	case t.Family == types.JSONFamily && d.K == types.KJSON:
		return d.S, nil
	}
	var buf []byte
	if ctx != nil {
		buf = ctx.Scratch[:0]
	}
	buf = types.AppendText(buf, d, t, loc(ctx))
	if ctx != nil {
		ctx.Scratch = buf
	}
	return string(buf), nil
}

func overloadByOid(oid uint32) *Overload {
	for _, o := range registry().all {
		if o.Oid == oid {
			return o
		}
	}
	return nil
}

// applyTypmod enforces the type modifier of t on a value of type t.
func applyTypmod(d types.Datum, t *types.T, explicit bool) (types.Datum, error) {
	switch t.Oid {
	case types.OidVarchar, types.OidBPChar:
		n := t.MaxLength()
		s := d.S
		l := utf8.RuneCountInString(s)
		if l > n {
			cut := runePrefix(s, n)
			if !explicit && strings.TrimRight(s[len(cut):], " ") != "" {
				name := "character varying"
				if t.Oid == types.OidBPChar {
					name = "character"
				}
				return types.Null, types.Errorf(types.CodeStringDataRightTruncation, "value too long for type %s(%d)", name, n)
			}
			s = cut
			l = n
		}
		if t.Oid == types.OidBPChar && l < n {
			s += strings.Repeat(" ", n-l)
		}
		return types.DString(s), nil
	case types.OidNumeric:
		if d.K != types.KDecimal {
			return d, nil
		}
		r, err := roundNumericTypmod(d.Decimal(), t)
		if err != nil {
			return types.Null, err
		}
		return dDec(r), nil
	case types.OidTimestamp, types.OidTimestampTZ, types.OidTime:
		if t.Typmod >= 0 && t.Typmod < 6 && finiteTS(d.I) {
			d.I = roundMicros(d.I, int(t.Typmod))
		}
		return d, nil
	}
	return d, nil
}

func runePrefix(s string, n int) string {
	i := 0
	for k := 0; k < n && i < len(s); k++ {
		_, sz := utf8.DecodeRuneInString(s[i:])
		i += sz
	}
	return s[:i]
}

var pow10 = [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}

// roundMicros rounds to the given number of fractional second digits, half
// away from zero like Postgres's AdjustTimestampForTypmod.
func roundMicros(v int64, precision int) int64 {
	scale := pow10[6-precision]
	off := scale / 2
	if v >= 0 {
		return (v + off) / scale * scale
	}
	return -((-v + off) / scale * scale)
}

func roundNumericTypmod(d *apd.Decimal, t *types.T) (*apd.Decimal, error) {
	p, s := t.NumericPrecisionScale()
	if p < 0 {
		return d, nil
	}
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return d, nil
	case apd.Infinite:
		return nil, errors.WithDetailf(types.Errorf(types.CodeNumericValueOutOfRange, "numeric field overflow"),
			"A field with precision %d, scale %d cannot hold an infinite value.", p, s)
	}
	r := new(apd.Decimal)
	if _, err := decCtx.Quantize(r, d, -int32(s)); err != nil {
		return nil, types.Errorf(types.CodeNumericValueOutOfRange, "numeric field overflow")
	}
	if !r.IsZero() {
		intDigits := int64(r.NumDigits()) + int64(r.Exponent)
		if intDigits > int64(p-s) {
			return nil, errors.WithDetailf(types.Errorf(types.CodeNumericValueOutOfRange, "numeric field overflow"),
				"A field with precision %d, scale %d must round to an absolute value less than 10^%d.", p, s, p-s)
		}
	}
	return r, nil
}

// arrayIOProcs are the I/O functions of every array type (pg_type.typinput
// and friends). They are not callable, but clients compare with them:
// pgJDBC asks typinput = 'pg_catalog.array_in'::regproc to find arrays.
var arrayIOProcs = map[string]int64{"array_in": 750, "array_out": 751, "array_recv": 2400, "array_send": 2401}

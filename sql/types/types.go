package types

import (
	"fmt"
	"strings"
)

// Family groups SQL types that share a value representation in Datum.
type Family uint8

// The type families. A Datum of a family uses the Datum fields documented on
// its Kind.
const (
	UnknownFamily Family = iota
	BoolFamily
	IntFamily // int2, int4, int8, and the OID-like types (oid, regclass, ...)
	FloatFamily
	NumericFamily
	StringFamily // text, varchar, bpchar, name, "char"
	BytesFamily
	DateFamily
	TimeFamily
	TimestampFamily
	TimestampTZFamily
	IntervalFamily
	JSONFamily
	ArrayFamily
	VoidFamily
	RecordFamily
	UUIDFamily // uuid: a KBytes datum of 16 bytes (see uuid.go)
)

// T is a SQL type: a family, the Postgres OID that identifies it on the wire,
// a type modifier (varchar length, numeric precision/scale) and, for arrays,
// the element type. A *T is immutable once built; share it freely.
type T struct {
	Family Family
	Oid    uint32
	// Width is the size in bits for IntFamily (16, 32, 64) and FloatFamily
	// (32, 64); zero otherwise.
	Width int
	// Typmod is the Postgres type modifier: -1 when absent; for varchar(n)
	// and char(n) it is n+4; for numeric(p,s) it is ((p<<16)|s)+4.
	Typmod int32
	// Elem is the element type of an array, nil otherwise.
	Elem *T
	// name is the canonical Postgres name as format_type prints it without a
	// modifier.
	name string
	// typName is the pg_type.typname (int4, _int4, varchar, ...).
	typName string
}

// Postgres type OIDs (from pg_type.dat).
const (
	OidBool         uint32 = 16
	OidBytea        uint32 = 17
	OidChar         uint32 = 18
	OidName         uint32 = 19
	OidInt8         uint32 = 20
	OidInt2         uint32 = 21
	OidInt2Vector   uint32 = 22
	OidInt4         uint32 = 23
	OidRegProc      uint32 = 24
	OidText         uint32 = 25
	OidOid          uint32 = 26
	OidOidVector    uint32 = 30
	OidJSON         uint32 = 114
	OidFloat4       uint32 = 700
	OidFloat8       uint32 = 701
	OidUnknown      uint32 = 705
	OidBPChar       uint32 = 1042
	OidVarchar      uint32 = 1043
	OidDate         uint32 = 1082
	OidTime         uint32 = 1083
	OidTimestamp    uint32 = 1114
	OidTimestampTZ  uint32 = 1184
	OidInterval     uint32 = 1186
	OidNumeric      uint32 = 1700
	OidRegProcedure uint32 = 2202
	OidRegOper      uint32 = 2203
	OidRegClass     uint32 = 2205
	OidRegType      uint32 = 2206
	OidRegNamespace uint32 = 4089
	OidRegRole      uint32 = 4096
	OidRecord       uint32 = 2249
	OidVoid         uint32 = 2278
	OidJSONB        uint32 = 3802
	OidAny          uint32 = 2276
	OidAnyArray     uint32 = 2277
	OidAnyElement   uint32 = 2283
	OidUUID         uint32 = 2950

	OidBoolArray        uint32 = 1000
	OidByteaArray       uint32 = 1001
	OidCharArray        uint32 = 1002
	OidNameArray        uint32 = 1003
	OidInt2Array        uint32 = 1005
	OidInt4Array        uint32 = 1007
	OidTextArray        uint32 = 1009
	OidOidArray         uint32 = 1028
	OidBPCharArray      uint32 = 1014
	OidVarcharArray     uint32 = 1015
	OidInt8Array        uint32 = 1016
	OidFloat4Array      uint32 = 1021
	OidFloat8Array      uint32 = 1022
	OidTimestampArray   uint32 = 1115
	OidDateArray        uint32 = 1182
	OidTimeArray        uint32 = 1183
	OidTimestampTZArray uint32 = 1185
	OidIntervalArray    uint32 = 1187
	OidNumericArray     uint32 = 1231
	OidJSONBArray       uint32 = 3807
	OidJSONArray        uint32 = 199
	OidRegClassArray    uint32 = 2210
	OidRegTypeArray     uint32 = 2211
	OidUUIDArray        uint32 = 2951
)

func mk(f Family, oid uint32, width int, name, typName string) *T {
	return &T{Family: f, Oid: oid, Width: width, Typmod: -1, name: name, typName: typName}
}

func mkArray(oid uint32, elem *T) *T {
	return &T{Family: ArrayFamily, Oid: oid, Typmod: -1, Elem: elem, name: elem.name + "[]", typName: "_" + elem.typName}
}

// The built-in types. These values are immutable: never modify them; build a
// new T (WithTypmod) instead.
var (
	Unknown      = mk(UnknownFamily, OidUnknown, 0, "unknown", "unknown")
	Bool         = mk(BoolFamily, OidBool, 0, "boolean", "bool")
	Int2         = mk(IntFamily, OidInt2, 16, "smallint", "int2")
	Int4         = mk(IntFamily, OidInt4, 32, "integer", "int4")
	Int8         = mk(IntFamily, OidInt8, 64, "bigint", "int8")
	Oid          = mk(IntFamily, OidOid, 32, "oid", "oid")
	RegClass     = mk(IntFamily, OidRegClass, 32, "regclass", "regclass")
	RegType      = mk(IntFamily, OidRegType, 32, "regtype", "regtype")
	RegProc      = mk(IntFamily, OidRegProc, 32, "regproc", "regproc")
	RegProcedure = mk(IntFamily, OidRegProcedure, 32, "regprocedure", "regprocedure")
	RegNamespace = mk(IntFamily, OidRegNamespace, 32, "regnamespace", "regnamespace")
	RegRole      = mk(IntFamily, OidRegRole, 32, "regrole", "regrole")
	RegOper      = mk(IntFamily, OidRegOper, 32, "regoper", "regoper")
	Float4       = mk(FloatFamily, OidFloat4, 32, "real", "float4")
	Float8       = mk(FloatFamily, OidFloat8, 64, "double precision", "float8")
	Numeric      = mk(NumericFamily, OidNumeric, 0, "numeric", "numeric")
	Text         = mk(StringFamily, OidText, 0, "text", "text")
	Varchar      = mk(StringFamily, OidVarchar, 0, "character varying", "varchar")
	BPChar       = mk(StringFamily, OidBPChar, 0, "character", "bpchar")
	Name         = mk(StringFamily, OidName, 0, "name", "name")
	Char         = mk(StringFamily, OidChar, 0, "\"char\"", "char")
	Bytea        = mk(BytesFamily, OidBytea, 0, "bytea", "bytea")
	Date         = mk(DateFamily, OidDate, 0, "date", "date")
	Time         = mk(TimeFamily, OidTime, 0, "time without time zone", "time")
	Timestamp    = mk(TimestampFamily, OidTimestamp, 0, "timestamp without time zone", "timestamp")
	TimestampTZ  = mk(TimestampTZFamily, OidTimestampTZ, 0, "timestamp with time zone", "timestamptz")
	Interval     = mk(IntervalFamily, OidInterval, 0, "interval", "interval")
	JSONB        = mk(JSONFamily, OidJSONB, 0, "jsonb", "jsonb")
	JSON         = mk(JSONFamily, OidJSON, 0, "json", "json")
	Void         = mk(VoidFamily, OidVoid, 0, "void", "void")
	Record       = mk(RecordFamily, OidRecord, 0, "record", "record")
	UUID         = mk(UUIDFamily, OidUUID, 0, "uuid", "uuid")
	// AnyElement and AnyArray are polymorphic pseudo-types used only in
	// function signatures.
	AnyElement = mk(UnknownFamily, OidAnyElement, 0, "anyelement", "anyelement")
	AnyArray   = &T{Family: ArrayFamily, Oid: OidAnyArray, Typmod: -1, Elem: AnyElement, name: "anyarray", typName: "anyarray"}
	Any        = mk(UnknownFamily, OidAny, 0, "any", "any")

	BoolArray        = mkArray(OidBoolArray, Bool)
	ByteaArray       = mkArray(OidByteaArray, Bytea)
	CharArray        = mkArray(OidCharArray, Char)
	NameArray        = mkArray(OidNameArray, Name)
	Int2Array        = mkArray(OidInt2Array, Int2)
	Int4Array        = mkArray(OidInt4Array, Int4)
	Int8Array        = mkArray(OidInt8Array, Int8)
	OidArray         = mkArray(OidOidArray, Oid)
	TextArray        = mkArray(OidTextArray, Text)
	VarcharArray     = mkArray(OidVarcharArray, Varchar)
	BPCharArray      = mkArray(OidBPCharArray, BPChar)
	Float4Array      = mkArray(OidFloat4Array, Float4)
	Float8Array      = mkArray(OidFloat8Array, Float8)
	NumericArray     = mkArray(OidNumericArray, Numeric)
	DateArray        = mkArray(OidDateArray, Date)
	TimeArray        = mkArray(OidTimeArray, Time)
	TimestampArray   = mkArray(OidTimestampArray, Timestamp)
	TimestampTZArray = mkArray(OidTimestampTZArray, TimestampTZ)
	IntervalArray    = mkArray(OidIntervalArray, Interval)
	JSONBArray       = mkArray(OidJSONBArray, JSONB)
	JSONArray        = mkArray(OidJSONArray, JSON)
	RegClassArray    = mkArray(OidRegClassArray, RegClass)
	RegTypeArray     = mkArray(OidRegTypeArray, RegType)
	UUIDArray        = mkArray(OidUUIDArray, UUID)

	// Int2Vector and OidVector are the catalog vector types (pg_index.indkey,
	// pg_proc.proargtypes); they behave as arrays.
	Int2Vector = &T{Family: ArrayFamily, Oid: OidInt2Vector, Typmod: -1, Elem: Int2, name: "int2vector", typName: "int2vector"}
	OidVector  = &T{Family: ArrayFamily, Oid: OidOidVector, Typmod: -1, Elem: Oid, name: "oidvector", typName: "oidvector"}
)

// Builtins lists every concrete built-in type (not the pseudo-types), in OID
// order of declaration. pg_type is generated from it.
func Builtins() []*T {
	return []*T{
		Bool, Bytea, Char, Name, Int8, Int2, Int2Vector, Int4, RegProc, Text, Oid, OidVector, JSON,
		Float4, Float8, Unknown, BPChar, Varchar, Date, Time, Timestamp, TimestampTZ, Interval,
		Numeric, RegProcedure, RegOper, RegClass, RegType, RegNamespace, RegRole, Record, Void, JSONB,
		AnyElement, AnyArray, Any,
		BoolArray, ByteaArray, CharArray, NameArray, Int2Array, Int4Array, Int8Array, OidArray,
		TextArray, VarcharArray, BPCharArray, Float4Array, Float8Array, NumericArray, DateArray,
		TimeArray, TimestampArray, TimestampTZArray, IntervalArray, JSONBArray, JSONArray,
		RegClassArray, RegTypeArray, UUID, UUIDArray,
	}
}

// ByOid returns the built-in type with the given OID, or nil.
func ByOid(oid uint32) *T {
	for _, t := range Builtins() {
		if t.Oid == oid {
			return t
		}
	}
	return nil
}

// ArrayOf returns the array type whose elements are of type elem (keeping
// elem's typmod), or nil if there is no such array type.
func ArrayOf(elem *T) *T {
	if elem == nil || elem.Family == ArrayFamily {
		return nil
	}
	for _, t := range Builtins() {
		if t.Family == ArrayFamily && t.Elem != nil && t.Elem.Oid == elem.Oid && t.Oid != OidInt2Vector && t.Oid != OidOidVector && t.Oid != OidAnyArray {
			if elem.Typmod < 0 {
				return t
			}
			c := *t
			c.Elem = elem
			return &c
		}
	}
	return nil
}

// WithTypmod returns a copy of t with the given type modifier.
func (t *T) WithTypmod(typmod int32) *T {
	if t.Typmod == typmod {
		return t
	}
	c := *t
	c.Typmod = typmod
	return &c
}

// TypName is the pg_type.typname of t.
func (t *T) TypName() string { return t.typName }

// Name is the canonical name of t without its modifier, as format_type
// prints it (e.g. "character varying", "integer[]").
func (t *T) Name() string { return t.name }

// String is the SQL spelling of t with its modifier, as format_type(oid,
// typmod) prints it (e.g. "character varying(10)", "numeric(10,2)").
func (t *T) String() string {
	if t.Family == ArrayFamily && t.Elem != nil && t.Oid != OidInt2Vector && t.Oid != OidOidVector && t.Oid != OidAnyArray {
		return t.Elem.String() + "[]"
	}
	if t.Typmod < 0 {
		return t.name
	}
	switch t.Oid {
	case OidVarchar, OidBPChar:
		return fmt.Sprintf("%s(%d)", t.name, t.Typmod-4)
	case OidNumeric:
		p, s := t.NumericPrecisionScale()
		return fmt.Sprintf("numeric(%d,%d)", p, s)
	case OidTimestamp, OidTimestampTZ, OidTime:
		i := strings.Index(t.name, " ")
		if i < 0 {
			return fmt.Sprintf("%s(%d)", t.name, t.Typmod)
		}
		return fmt.Sprintf("%s(%d)%s", t.name[:i], t.Typmod, t.name[i:])
	}
	return t.name
}

// NumericPrecisionScale decodes a numeric typmod; ok is false when the type
// has no modifier.
func (t *T) NumericPrecisionScale() (precision, scale int) {
	if t.Typmod < 4 {
		return -1, -1
	}
	m := t.Typmod - 4
	return int(m >> 16), int(m & 0xffff)
}

// MaxLength returns n for varchar(n)/char(n), or -1 when unbounded.
func (t *T) MaxLength() int {
	if (t.Oid == OidVarchar || t.Oid == OidBPChar) && t.Typmod >= 4 {
		return int(t.Typmod - 4)
	}
	return -1
}

// Equivalent reports whether a and b have the same OID (typmods ignored).
func (t *T) Equivalent(o *T) bool {
	return t != nil && o != nil && t.Oid == o.Oid && (t.Family != ArrayFamily || t.Elem.Equivalent(o.Elem) || t.Oid == o.Oid)
}

// Identical reports whether a and b have the same OID and type modifier.
func (t *T) Identical(o *T) bool {
	return t.Equivalent(o) && t.Typmod == o.Typmod
}

// Size is pg_type.typlen: the fixed size in bytes, or -1 for variable length.
func (t *T) Size() int16 {
	switch t.Family {
	case BoolFamily:
		return 1
	case IntFamily, FloatFamily:
		return int16(t.Width / 8)
	case DateFamily:
		return 4
	case TimeFamily, TimestampFamily, TimestampTZFamily:
		return 8
	case IntervalFamily, UUIDFamily:
		return 16
	case StringFamily:
		if t.Oid == OidName {
			return 64
		}
		if t.Oid == OidChar {
			return 1
		}
	}
	return -1
}

// Category is pg_type.typcategory.
func (t *T) Category() string {
	switch t.Family {
	case BoolFamily:
		return "B"
	case IntFamily, FloatFamily, NumericFamily:
		return "N"
	case StringFamily:
		return "S"
	case BytesFamily, JSONFamily, UUIDFamily:
		return "U"
	case DateFamily, TimeFamily, TimestampFamily, TimestampTZFamily:
		return "D"
	case IntervalFamily:
		return "T"
	case ArrayFamily:
		return "A"
	case UnknownFamily:
		return "X"
	}
	return "P"
}

// Column describes one output or table column.
type Column struct {
	Name string
	Type *T
	// TableOID and AttrNum identify the source table column for
	// RowDescription; zero when the column is computed.
	TableOID uint32
	AttrNum  int16
	// Hidden columns (the row id of a table without a primary key) are not
	// expanded by SELECT * and not shown to clients.
	Hidden bool
}

// Schema is the list of columns of a row.
type Schema []Column

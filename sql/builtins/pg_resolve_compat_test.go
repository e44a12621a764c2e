package builtins

import (
	"strings"
	"testing"

	"github.com/streamdb/streamdb/sql/types"
)

// TestPostgresResolutionCompat compares resolved result types with
// PostgreSQL 15's pg_typeof for the same calls (arguments are NULL::type or
// untyped literals). Errors raised at run time in Postgres (42P01...) only
// check that resolution succeeds.
func TestPostgresResolutionCompat(t *testing.T) {
	for _, c := range pgResolutionCases {
		ts := make([]*types.T, len(c.args))
		for i, a := range c.args {
			if strings.HasPrefix(a, "unknown:") {
				ts[i] = types.Unknown
			} else {
				ts[i] = typeByName(t, a)
			}
		}
		var o *Overload
		var err error
		if op, ok := strings.CutPrefix(c.name, "op:"); ok {
			o, err = ResolveOperator(op, ts[0], ts[1])
		} else {
			o, err = ResolveFunction(c.name, ts)
		}
		desc := c.name + "(" + strings.Join(c.args, ", ") + ")"
		switch {
		case c.want == "ERROR 42883" || c.want == "ERROR 42725":
			if err == nil {
				t.Errorf("%s resolved to %s(%s), want %s", desc, o.Name, typeNames(o.Args), c.want)
			} else if "ERROR "+types.Code(err) != c.want {
				t.Errorf("%s: %v, want %s", desc, err, c.want)
			}
		case strings.HasPrefix(c.want, "ERROR"):
			if err != nil && (types.Code(err) == types.CodeUndefinedFunction || types.Code(err) == types.CodeAmbiguousFunction) {
				t.Errorf("%s: %v", desc, err)
			}
		case err != nil:
			t.Errorf("%s: %v, want %s", desc, err, c.want)
		case o.Ret.Name() != c.want:
			t.Errorf("%s = %s (via %s(%s)), want %s", desc, o.Ret.Name(), o.Name, typeNames(o.Args), c.want)
		}
	}
}

// Deliberate differences, left out: anyarray arguments accept element
// types that cast implicitly (text[] && varchar[]), and pg_get_expr takes
// text (there is no pg_node_tree type).
var pgResolutionCases = []evalCase{
	{`op:+`, []string{`int2`, `int8`}, `bigint`},
	{`op:+`, []string{`int8`, `numeric`}, `numeric`},
	{`op:+`, []string{`float4`, `float4`}, `real`},
	{`op:+`, []string{`float4`, `numeric`}, `double precision`},
	{`op:+`, []string{`numeric`, `unknown:1`}, `numeric`},
	{`op:-`, []string{`date`, `date`}, `integer`},
	{`op:-`, []string{`date`, `timestamp`}, `interval`},
	{`op:-`, []string{`timestamptz`, `date`}, `interval`},
	{`op:+`, []string{`date`, `unknown:1`}, `ERROR 42725`},
	{`op:+`, []string{`timestamp`, `unknown:1 day`}, `timestamp without time zone`},
	{`op:*`, []string{`int4`, `interval`}, `interval`},
	{`op:*`, []string{`numeric`, `interval`}, `interval`},
	{`op:/`, []string{`interval`, `int8`}, `interval`},
	{`op:||`, []string{`text`, `varchar`}, `text`},
	{`op:||`, []string{`varchar`, `int4`}, `text`},
	{`op:||`, []string{`bpchar`, `bpchar`}, `text`},
	{`op:||`, []string{`text[]`, `text`}, `text[]`},
	{`op:||`, []string{`unknown:{a}`, `text[]`}, `text[]`},
	{`op:||`, []string{`jsonb`, `unknown:{}`}, `jsonb`},
	{`op:=`, []string{`name`, `text`}, `boolean`},
	{`op:=`, []string{`varchar`, `bpchar`}, `boolean`},
	{`op:=`, []string{`int2`, `int8`}, `boolean`},
	{`op:=`, []string{`float4`, `float8`}, `boolean`},
	{`op:=`, []string{`numeric`, `float4`}, `boolean`},
	{`op:=`, []string{`date`, `timestamptz`}, `boolean`},
	{`op:=`, []string{`timestamp`, `timestamptz`}, `boolean`},
	{`op:=`, []string{`oid`, `int8`}, `boolean`},
	{`op:=`, []string{`regclass`, `unknown:1`}, `boolean`},
	{`op:<`, []string{`bool`, `unknown:t`}, `boolean`},
	{`op:~~`, []string{`varchar`, `unknown:a%`}, `boolean`},
	{`op:~~`, []string{`bpchar`, `unknown:a%`}, `boolean`},
	{`op:~`, []string{`name`, `unknown:^a`}, `boolean`},
	{`op:@>`, []string{`int4[]`, `unknown:{1}`}, `boolean`},
	{`op:%`, []string{`int8`, `int4`}, `bigint`},
	{`op:^`, []string{`numeric`, `int4`}, `numeric`},
	{`op:^`, []string{`float8`, `int4`}, `double precision`},
	{`op:<<`, []string{`int8`, `int4`}, `bigint`},
	{`op:&`, []string{`int2`, `int4`}, `integer`},
	{`op:-`, []string{`unknown:1`, `int4`}, `integer`},
	{`op:=`, []string{`jsonb`, `unknown:{}`}, `boolean`},
	{`op:->`, []string{`jsonb`, `unknown:a`}, `jsonb`},
	{`op:->`, []string{`json`, `int4`}, `json`},
	{`op:#>>`, []string{`jsonb`, `unknown:{a}`}, `text`},
	{`op:?`, []string{`jsonb`, `unknown:a`}, `boolean`},
	{`op:=`, []string{`text`, `int4`}, `ERROR 42883`},
	{`op:+`, []string{`text`, `int4`}, `ERROR 42883`},
	{`op:-`, []string{`text`, `text`}, `ERROR 42883`},
	{`op:=`, []string{`bool`, `int4`}, `ERROR 42883`},
	{`op:<`, []string{`date`, `int4`}, `ERROR 42883`},
	{`length`, []string{`unknown:abc`}, `integer`},
	{`length`, []string{`varchar`}, `integer`},
	{`length`, []string{`bpchar`}, `integer`},
	{`lower`, []string{`varchar`}, `text`},
	{`substring`, []string{`varchar`, `int4`}, `text`},
	{`substring`, []string{`unknown:abc`, `unknown:b`}, `text`},
	{`substr`, []string{`text`, `int8`}, `ERROR 42883`},
	{`lpad`, []string{`varchar`, `int4`, `unknown:0`}, `text`},
	{`left`, []string{`unknown:abc`, `int2`}, `text`},
	{`round`, []string{`numeric`}, `numeric`},
	{`round`, []string{`int4`}, `double precision`},
	{`round`, []string{`float4`}, `double precision`},
	{`round`, []string{`numeric`, `int8`}, `ERROR 42883`},
	{`abs`, []string{`int2`}, `smallint`},
	{`abs`, []string{`numeric`}, `numeric`},
	{`abs`, []string{`float4`}, `real`},
	{`abs`, []string{`unknown:1`}, `double precision`},
	{`mod`, []string{`int2`, `int4`}, `integer`},
	{`mod`, []string{`int8`, `numeric`}, `numeric`},
	{`sqrt`, []string{`int4`}, `double precision`},
	{`power`, []string{`int4`, `int4`}, `double precision`},
	{`power`, []string{`numeric`, `int4`}, `numeric`},
	{`trunc`, []string{`int4`}, `double precision`},
	{`floor`, []string{`int8`}, `double precision`},
	{`ceil`, []string{`float4`}, `double precision`},
	{`date_trunc`, []string{`unknown:day`, `date`}, `timestamp with time zone`},
	{`date_trunc`, []string{`unknown:day`, `timestamp`}, `timestamp without time zone`},
	{`date_trunc`, []string{`unknown:day`, `timestamptz`}, `timestamp with time zone`},
	{`date_trunc`, []string{`text`, `interval`}, `interval`},
	{`date_part`, []string{`unknown:day`, `date`}, `double precision`},
	{`date_part`, []string{`unknown:day`, `timestamptz`}, `double precision`},
	{`age`, []string{`timestamptz`, `timestamptz`}, `interval`},
	{`age`, []string{`date`, `date`}, `interval`},
	{`age`, []string{`timestamp`}, `interval`},
	{`to_char`, []string{`date`, `unknown:YYYY`}, `text`},
	{`to_char`, []string{`int8`, `unknown:999`}, `text`},
	{`to_char`, []string{`numeric`, `unknown:999`}, `text`},
	{`to_char`, []string{`float4`, `unknown:999`}, `text`},
	{`to_char`, []string{`interval`, `unknown:HH`}, `text`},
	{`to_timestamp`, []string{`int4`}, `timestamp with time zone`},
	{`to_timestamp`, []string{`unknown:2024`, `unknown:YYYY`}, `timestamp with time zone`},
	{`to_date`, []string{`unknown:2024`, `unknown:YYYY`}, `date`},
	{`make_date`, []string{`int2`, `int4`, `int4`}, `date`},
	{`generate_series`, []string{`int4`, `int8`}, `bigint`},
	{`generate_series`, []string{`int8`, `int8`, `int4`}, `bigint`},
	{`generate_series`, []string{`numeric`, `int4`}, `numeric`},
	{`generate_series`, []string{`timestamp`, `unknown:2024-01-02`, `unknown:1 day`}, `timestamp without time zone`},
	{`generate_series`, []string{`date`, `date`, `interval`}, `timestamp with time zone`},
	{`array_length`, []string{`int4[]`, `int4`}, `integer`},
	{`array_append`, []string{`int4[]`, `int4`}, `integer[]`},
	{`array_append`, []string{`int8[]`, `int4`}, `bigint[]`},
	{`array_cat`, []string{`int4[]`, `unknown:{1}`}, `integer[]`},
	{`array_position`, []string{`text[]`, `unknown:a`}, `integer`},
	{`array_to_string`, []string{`int4[]`, `unknown:,`}, `text`},
	{`string_to_array`, []string{`varchar`, `unknown:,`}, `text[]`},
	{`unnest`, []string{`text[]`}, `text`},
	{`cardinality`, []string{`int4[]`}, `integer`},
	{`concat`, []string{`unknown:a`, `int4`, `float8`}, `text`},
	{`concat_ws`, []string{`unknown:,`, `int4`, `unknown:x`}, `text`},
	{`format`, []string{`unknown:%s`, `int4`}, `text`},
	{`jsonb_build_object`, []string{`unknown:a`, `int4`}, `jsonb`},
	{`to_jsonb`, []string{`int4`}, `jsonb`},
	{`to_jsonb`, []string{`unknown:a`}, `ERROR 42804`},
	{`jsonb_extract_path_text`, []string{`jsonb`, `unknown:a`, `unknown:b`}, `text`},
	{`jsonb_array_elements`, []string{`jsonb`}, `jsonb`},
	{`jsonb_set`, []string{`jsonb`, `unknown:{a}`, `unknown:1`}, `jsonb`},
	{`coalesce_not_a_func`, []string{`int4`}, `ERROR 42883`},
	{`num_nulls`, []string{`int4`, `unknown:a`}, `integer`},
	{`pg_typeof`, []string{`unknown:a`}, `regtype`},
	{`pg_typeof`, []string{`int4[]`}, `regtype`},
	{`current_setting`, []string{`unknown:x`}, `ERROR 42704`},
	{`nextval`, []string{`unknown:seq`}, `ERROR 42P01`},
	{`format_type`, []string{`int4`, `int4`}, `text`},
	{`has_table_privilege`, []string{`unknown:a`, `unknown:b`}, `ERROR 42P01`},
	{`pg_size_pretty`, []string{`int4`}, `ERROR 42725`},
	{`pg_size_pretty`, []string{`numeric`}, `text`},
	{`regexp_replace`, []string{`varchar`, `unknown:a`, `unknown:b`}, `text`},
	{`regexp_match`, []string{`text`, `unknown:a`}, `text[]`},
	{`split_part`, []string{`varchar`, `unknown:,`, `int2`}, `text`},
	{`md5`, []string{`varchar`}, `text`},
	{`encode`, []string{`bytea`, `unknown:hex`}, `text`},
	{`decode`, []string{`unknown:ab`, `unknown:hex`}, `bytea`},
	{`quote_ident`, []string{`name`}, `text`},
	{`chr`, []string{`int2`}, `text`},
	{`ascii`, []string{`bpchar`}, `integer`},
	{`translate`, []string{`unknown:a`, `unknown:b`, `unknown:c`}, `text`},
	{`btrim`, []string{`bpchar`}, `text`},
	{`btrim`, []string{`unknown:a`, `unknown:b`}, `text`},
	{`timezone`, []string{`unknown:UTC`, `timestamptz`}, `timestamp without time zone`},
	{`timezone`, []string{`unknown:UTC`, `timestamp`}, `timestamp with time zone`},
	{`timezone`, []string{`unknown:UTC`, `date`}, `timestamp without time zone`},
	{`justify_days`, []string{`interval`}, `interval`},
	{`isfinite`, []string{`date`}, `boolean`},
}

// TestPostgresCommonTypeCompat compares CommonType with the column type
// PostgreSQL 15 gives to SELECT NULL::a UNION ALL SELECT NULL::b ("unknown"
// is an untyped literal; 22P02 there means the literal was resolved to the
// other type, not a resolution error).
func TestPostgresCommonTypeCompat(t *testing.T) {
	cases := []struct {
		in   []string
		want string
	}{
		{[]string{`int2`, `int4`}, `integer`},
		{[]string{`int4`, `int2`}, `integer`},
		{[]string{`int4`, `numeric`}, `numeric`},
		{[]string{`numeric`, `float4`}, `real`},
		{[]string{`float4`, `numeric`}, `real`},
		{[]string{`float4`, `float8`}, `double precision`},
		{[]string{`int8`, `float4`}, `real`},
		{[]string{`text`, `varchar`}, `text`},
		{[]string{`varchar`, `text`}, `character varying`},
		{[]string{`bpchar`, `text`}, `character`},
		{[]string{`bpchar`, `varchar`}, `character`},
		{[]string{`varchar`, `bpchar`}, `character varying`},
		{[]string{`name`, `text`}, `name`},
		{[]string{`text`, `name`}, `text`},
		{[]string{`date`, `timestamp`}, `timestamp without time zone`},
		{[]string{`timestamp`, `date`}, `timestamp without time zone`},
		{[]string{`timestamptz`, `timestamp`}, `timestamp with time zone`},
		{[]string{`date`, `timestamptz`}, `timestamp with time zone`},
		{[]string{`interval`, `time`}, `ERROR 42804`},
		{[]string{`time`, `interval`}, `ERROR 42804`},
		{[]string{`json`, `jsonb`}, `ERROR 42846`},
		{[]string{`jsonb`, `json`}, `ERROR 42846`},
		{[]string{`int4`, `text`}, `ERROR 42804`},
		{[]string{`bool`, `int4`}, `ERROR 42804`},
		{[]string{`oid`, `int4`}, `oid`},
		{[]string{`int4`, `oid`}, `oid`},
		{[]string{`regclass`, `oid`}, `regclass`},
		{[]string{`int4[]`, `int8[]`}, `bigint[]`},
		{[]string{`text[]`, `varchar[]`}, `text[]`},
		{[]string{`unknown`, `int4`}, `ERROR 22P02`},
		{[]string{`int4`, `unknown`}, `ERROR 22P02`},
		{[]string{`unknown`, `unknown`}, `text`},
		{[]string{`unknown`, `bool`}, `ERROR 22P02`},
		{[]string{`bytea`, `text`}, `ERROR 42804`},
		{[]string{`int4`, `float8`, `numeric`}, `double precision`},
		{[]string{`numeric`, `int4`, `float4`}, `real`},
	}
	for _, c := range cases {
		ts := make([]*types.T, len(c.in))
		for i, n := range c.in {
			ts[i] = typeByName(t, n)
		}
		got, err := CommonType(ts)
		switch {
		case c.want == "ERROR 22P02":
			if err != nil {
				t.Errorf("%v: %v", c.in, err)
			}
		case strings.HasPrefix(c.want, "ERROR "):
			if err == nil || "ERROR "+types.Code(err) != c.want {
				t.Errorf("%v: got %v %v, want %s", c.in, got, err, c.want)
			}
		case err != nil || got.Name() != c.want:
			t.Errorf("%v: got %v %v, want %s", c.in, got, err, c.want)
		}
	}
}

// TestPostgresAggregateCompat compares aggregate result types with
// PostgreSQL 15 (select pg_typeof(agg(NULL::type))). Run-time errors there
// (22004, 22023) only check that resolution succeeds.
func TestPostgresAggregateCompat(t *testing.T) {
	cases := []evalCase{
		{`count`, []string{}, `bigint`},
		{`count`, []string{`text`}, `bigint`},
		{`sum`, []string{`int2`}, `bigint`},
		{`sum`, []string{`int4`}, `bigint`},
		{`sum`, []string{`int8`}, `numeric`},
		{`sum`, []string{`numeric`}, `numeric`},
		{`sum`, []string{`float4`}, `real`},
		{`sum`, []string{`float8`}, `double precision`},
		{`sum`, []string{`interval`}, `interval`},
		{`avg`, []string{`int2`}, `numeric`},
		{`avg`, []string{`int8`}, `numeric`},
		{`avg`, []string{`float4`}, `double precision`},
		{`avg`, []string{`interval`}, `interval`},
		{`min`, []string{`varchar`}, `text`},
		{`max`, []string{`bpchar`}, `character`},
		{`min`, []string{`date`}, `date`},
		{`max`, []string{`timestamptz`}, `timestamp with time zone`},
		{`min`, []string{`int4[]`}, `integer[]`},
		{`max`, []string{`oid`}, `oid`},
		{`min`, []string{`name`}, `text`},
		{`string_agg`, []string{`text`, `unknown`}, `text`},
		{`string_agg`, []string{`varchar`, `unknown`}, `text`},
		{`string_agg`, []string{`bytea`, `bytea`}, `bytea`},
		{`array_agg`, []string{`int4`}, `integer[]`},
		{`array_agg`, []string{`text[]`}, `ERROR 22004`},
		{`array_agg`, []string{`unknown`}, `ERROR 42725`},
		{`bool_and`, []string{`bool`}, `boolean`},
		{`every`, []string{`bool`}, `boolean`},
		{`jsonb_agg`, []string{`int4`}, `jsonb`},
		{`json_agg`, []string{`text`}, `json`},
		{`jsonb_object_agg`, []string{`text`, `int4`}, `ERROR 22023`},
		{`stddev`, []string{`int4`}, `numeric`},
		{`stddev`, []string{`float4`}, `double precision`},
		{`variance`, []string{`numeric`}, `numeric`},
		{`var_pop`, []string{`int8`}, `numeric`},
		{`stddev_pop`, []string{`float8`}, `double precision`},
		{`bit_and`, []string{`int2`}, `smallint`},
		{`bit_or`, []string{`int8`}, `bigint`},
		{`sum`, []string{`text`}, `ERROR 42883`},
		{`avg`, []string{`text`}, `ERROR 42883`},
		{`min`, []string{`bool`}, `ERROR 42883`},
		{`max`, []string{`jsonb`}, `ERROR 42883`},
	}
	for _, c := range cases {
		ts := make([]*types.T, len(c.args))
		for i, n := range c.args {
			ts[i] = typeByName(t, n)
		}
		a, err := ResolveAggregate(c.name, ts)
		desc := c.name + "(" + strings.Join(c.args, ", ") + ")"
		switch {
		case c.want == "ERROR 42883" || c.want == "ERROR 42725":
			if err == nil || "ERROR "+types.Code(err) != c.want {
				t.Errorf("%s: got %v %v, want %s", desc, a, err, c.want)
			}
		case strings.HasPrefix(c.want, "ERROR "):
			if err != nil {
				t.Errorf("%s: %v", desc, err)
			}
		case err != nil || a.Ret.Name() != c.want:
			t.Errorf("%s: got %v %v, want %s", desc, a, err, c.want)
		}
	}
}

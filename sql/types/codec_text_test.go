package types

import (
	"strings"
	"testing"
	"time"
)

// textCase is an input and the text Postgres prints back for it.
type textCase struct {
	t    *T
	in   string
	want string
}

var textCases = []textCase{
	{Bool, "t", "t"}, {Bool, "TRUE", "t"}, {Bool, " yes ", "t"}, {Bool, "on", "t"}, {Bool, "1", "t"},
	{Bool, "f", "f"}, {Bool, "off", "f"}, {Bool, "No", "f"}, {Bool, "0", "f"}, {Bool, "fal", "f"},

	{Int2, "-32768", "-32768"}, {Int4, " 42 ", "42"}, {Int4, "+7", "7"}, {Int8, "-9223372036854775808", "-9223372036854775808"},
	{Int4, "0x1F", "31"}, {Int4, "0o17", "15"}, {Int4, "0b101", "5"}, {Int4, "1_000_000", "1000000"},
	{Oid, "4294967295", "4294967295"}, {Oid, "-1", "4294967295"}, {RegClass, "1259", "1259"},

	{Float8, "1.5", "1.5"}, {Float8, "0.1", "0.1"}, {Float8, "1e15", "1e+15"}, {Float8, "1e14", "100000000000000"},
	{Float8, "123456789012345678", "1.2345678901234568e+17"}, {Float8, "0.0001", "0.0001"}, {Float8, "0.00001", "1e-05"},
	{Float8, "NaN", "NaN"}, {Float8, "infinity", "Infinity"}, {Float8, "-inf", "-Infinity"}, {Float8, "-0", "-0"},
	{Float8, "3", "3"}, {Float8, "-2.5e-300", "-2.5e-300"}, {Float8, "1.7976931348623157e308", "1.7976931348623157e+308"},
	{Float4, "0.1", "0.1"}, {Float4, "1e6", "1e+06"}, {Float4, "100000", "100000"}, {Float4, "3.14159", "3.14159"},
	{Float4, "1.1", "1.1"},

	{Numeric, "1.50", "1.50"}, {Numeric, "-0.001", "-0.001"}, {Numeric, "1e3", "1000"}, {Numeric, "1.5e-3", "0.0015"},
	{Numeric, "  12345678901234567890.123456789 ", "12345678901234567890.123456789"}, {Numeric, "NaN", "NaN"},
	{Numeric, "-0", "0"}, {Numeric, "-0.00", "0.00"}, {Numeric, "Infinity", "Infinity"}, {Numeric, "-infinity", "-Infinity"},
	{Numeric, ".5", "0.5"}, {Numeric, "5.", "5"}, {Numeric, "0", "0"}, {Numeric, "1_000.5", "1000.5"},

	{Text, "hello world", "hello world"}, {Varchar, "", ""}, {BPChar, "ab  ", "ab  "}, {Char, "abc", "a"},
	{Name, "abc", "abc"},

	{Bytea, "\\x0a0B", "\\x0a0b"}, {Bytea, "abc", "\\x616263"}, {Bytea, "a\\\\b\\001", "\\x615c6201"}, {Bytea, "\\x", "\\x"},

	{Date, "2024-01-31", "2024-01-31"}, {Date, "Jan 31 2024", "2024-01-31"}, {Date, "01/31/2024", "2024-01-31"},
	{Date, "31-Jan-2024", "2024-01-31"}, {Date, "January 31, 2024", "2024-01-31"}, {Date, "20240131", "2024-01-31"},
	{Date, "2024-01-31 13:45:00", "2024-01-31"}, {Date, "epoch", "1970-01-01"}, {Date, "infinity", "infinity"},
	{Date, "-infinity", "-infinity"}, {Date, "0044-03-15 BC", "0044-03-15 BC"}, {Date, "0001-01-01 BC", "0001-01-01 BC"},
	{Date, "1900-02-28", "1900-02-28"}, {Date, "2000-02-29", "2000-02-29"}, {Date, "12/31/99", "1999-12-31"},
	{Date, "4714-11-24 BC", "4714-11-24 BC"}, {Date, "2024-Jan-05", "2024-01-05"},

	{Time, "13:45", "13:45:00"}, {Time, "13:45:00.123", "13:45:00.123"}, {Time, "1:02:03 pm", "13:02:03"},
	{Time, "12:00 am", "00:00:00"}, {Time, "24:00:00", "24:00:00"}, {Time, "allballs", "00:00:00"},
	{Time, "13:45:00.1234567", "13:45:00.123457"}, {Time, "2024-01-31 04:05:06", "04:05:06"}, {Time, "04:05:06+05", "04:05:06"},

	{Timestamp, "2024-01-31 13:45:00", "2024-01-31 13:45:00"}, {Timestamp, "2024-01-31T13:45:00.5", "2024-01-31 13:45:00.5"},
	{Timestamp, "2024-01-31", "2024-01-31 00:00:00"}, {Timestamp, "2024-01-31 13:45:00+05", "2024-01-31 13:45:00"},
	{Timestamp, "epoch", "1970-01-01 00:00:00"}, {Timestamp, "infinity", "infinity"},
	{Timestamp, "Jan 31 2024 1:45 PM", "2024-01-31 13:45:00"}, {Timestamp, "0044-03-15 10:00 BC", "0044-03-15 10:00:00 BC"},
	{Timestamp, "2024-01-31 23:59:60", "2024-02-01 00:00:00"}, {Timestamp, "1999-12-31 24:00:00", "2000-01-01 00:00:00"},
	{Timestamp, "1960-06-01 01:02:03.000004", "1960-06-01 01:02:03.000004"},

	{TimestampTZ, "2024-01-31 13:45:00+00", "2024-01-31 13:45:00+00"}, {TimestampTZ, "2024-01-31 13:45:00Z", "2024-01-31 13:45:00+00"},
	{TimestampTZ, "2024-01-31T13:45:00+05:30", "2024-01-31 08:15:00+00"}, {TimestampTZ, "2024-01-31 13:45:00-0800", "2024-01-31 21:45:00+00"},
	{TimestampTZ, "2024-01-31 13:45:00 UTC", "2024-01-31 13:45:00+00"}, {TimestampTZ, "2024-07-01 12:00:00 America/New_York", "2024-07-01 16:00:00+00"},
	{TimestampTZ, "2024-01-31 13:45:00 EST", "2024-01-31 18:45:00+00"}, {TimestampTZ, "2024-01-31 13:45", "2024-01-31 13:45:00+00"},
	{TimestampTZ, "2024-07-01 12:00:00 america/new_york", "2024-07-01 16:00:00+00"},

	{Interval, "1 year 2 months 3 days 4 hours 5 minutes 6.5 seconds", "1 year 2 mons 3 days 04:05:06.5"},
	{Interval, "-1 days", "-1 days"}, {Interval, "0", "00:00:00"}, {Interval, "1 day 2 hours", "1 day 02:00:00"},
	{Interval, "1-2", "1 year 2 mons"}, {Interval, "01:02:03", "01:02:03"}, {Interval, "@ 1 minute ago", "-00:01:00"},
	{Interval, "P1Y2M3DT4H5M6S", "1 year 2 mons 3 days 04:05:06"}, {Interval, "PT1.5S", "00:00:01.5"},
	{Interval, "1 2:03:04", "1 day 02:03:04"}, {Interval, "-1 day +2 hours", "-1 days +02:00:00"},
	{Interval, "1.5 years", "1 year 6 mons"}, {Interval, "1.5 months", "1 mon 15 days"}, {Interval, "1.5 days", "1 day 12:00:00"},
	{Interval, "2 weeks", "14 days"}, {Interval, "10", "00:00:10"}, {Interval, "1 decade", "10 years"},
	{Interval, "3 mins 4 secs", "00:03:04"}, {Interval, "1h30m", "01:30:00"}, {Interval, "100 hours", "100:00:00"},
	{Interval, "1 day ago", "-1 days"}, {Interval, "-1 year -2 mons +3 days -04:05:06", "-1 years -2 mons +3 days -04:05:06"},
	{Interval, "1 millisecond", "00:00:00.001"}, {Interval, "P1W", "7 days"}, {Interval, "1 century", "100 years"},

	{JSONB, `{"b": [1, 2], "a": 1}`, `{"a": 1, "b": [1, 2]}`}, {JSONB, `{"aa":1,"b":2}`, `{"b": 2, "aa": 1}`},
	{JSONB, `{"a":1,"a":2}`, `{"a": 2}`}, {JSONB, `[1e2, 1.50, -0, 0.1e1]`, `[100, 1.50, 0, 1]`},
	{JSONB, ` "a\u00e9\n" `, `"aé\n"`}, {JSONB, `null`, `null`}, {JSONB, `{}`, `{}`}, {JSONB, `[]`, `[]`},
	{JSONB, `{"k": {"z": true, "y": false}}`, `{"k": {"y": false, "z": true}}`}, {JSONB, `"\ud83d\ude00"`, `"😀"`},
	{JSON, `{"b":1,  "a":2}`, `{"b":1,  "a":2}`},

	{Int4Array, "{1,2,NULL,3}", "{1,2,NULL,3}"}, {TextArray, `{"a b","x\"y",NULL,"NULL",""}`, `{"a b","x\"y",NULL,"NULL",""}`},
	{Int4Array, "{{1,2},{3,4}}", "{{1,2},{3,4}}"}, {Int4Array, "{}", "{}"}, {Int4Array, " { 1 , 2 } ", "{1,2}"},
	{TextArray, `{a\,b,c d}`, `{"a,b","c d"}`}, {TextArray, `{"back\\slash"}`, `{"back\\slash"}`},
	{TextArray, `{ab,{}`, ""}, {Int4Array, "[1:2]={5,6}", "{5,6}"}, {DateArray, "{2024-01-31,infinity}", "{2024-01-31,infinity}"},
	{TimestampArray, `{"2024-01-31 13:45:00"}`, `{"2024-01-31 13:45:00"}`}, {JSONBArray, `{"{\"a\":1}"}`, `{"{\"a\": 1}"}`},
	{NumericArray, "{1.50,NaN}", "{1.50,NaN}"}, {BoolArray, "{t,f}", "{t,f}"}, {Float8Array, "{1.5,-Infinity}", "{1.5,-Infinity}"},
	{Int2Vector, "1 2 3", "1 2 3"}, {OidVector, "", ""}, {IntervalArray, `{"1 day","-00:00:01"}`, `{"1 day",-00:00:01}`},
	{ByteaArray, `{"\\x01"}`, `{"\\x01"}`}, {Int4Array, "{{{1}},{{2}}}", "{{{1}},{{2}}}"},
}

func TestTextRoundTrip(t *testing.T) {
	for _, c := range textCases {
		d, err := ParseText(c.in, c.t, time.UTC)
		if c.want == "" && c.t.Family == ArrayFamily && c.t.Oid != OidOidVector {
			if err == nil {
				t.Errorf("ParseText(%q, %s): want error", c.in, c.t.Name())
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseText(%q, %s): %v", c.in, c.t.Name(), err)
			continue
		}
		got := string(AppendText(nil, d, c.t, time.UTC))
		if got != c.want {
			t.Errorf("%s %q: got %q, want %q", c.t.Name(), c.in, got, c.want)
			continue
		}
		// Output must read back to the same value.
		d2, err := ParseText(got, c.t, time.UTC)
		if err != nil {
			t.Errorf("re-parse %s %q: %v", c.t.Name(), got, err)
			continue
		}
		if Compare(d, d2) != 0 {
			t.Errorf("%s %q: re-parse of %q differs", c.t.Name(), c.in, got)
		}
	}
}

func TestTextErrors(t *testing.T) {
	cases := []struct {
		t    *T
		in   string
		code string
		msg  string
	}{
		{Int4, "x", CodeInvalidTextRepresentation, `invalid input syntax for type integer: "x"`},
		{Int4, "2147483648", CodeNumericValueOutOfRange, `value "2147483648" is out of range for type integer`},
		{Int2, "40000", CodeNumericValueOutOfRange, `value "40000" is out of range for type smallint`},
		{Int8, "99999999999999999999", CodeNumericValueOutOfRange, `value "99999999999999999999" is out of range for type bigint`},
		{Int4, "", CodeInvalidTextRepresentation, `invalid input syntax for type integer: ""`},
		{Int4, "1.5", CodeInvalidTextRepresentation, `invalid input syntax for type integer: "1.5"`},
		{Int4, "1__0", CodeInvalidTextRepresentation, `invalid input syntax for type integer: "1__0"`},
		{Bool, "maybe", CodeInvalidTextRepresentation, `invalid input syntax for type boolean: "maybe"`},
		{Float8, "abc", CodeInvalidTextRepresentation, `invalid input syntax for type double precision: "abc"`},
		{Float8, "1e400", CodeNumericValueOutOfRange, `"1e400" is out of range for type double precision`},
		{Float8, "1e-400", CodeNumericValueOutOfRange, `"1e-400" is out of range for type double precision`},
		{Float4, "1e40", CodeNumericValueOutOfRange, `"1e40" is out of range for type real`},
		{Numeric, "1.2.3", CodeInvalidTextRepresentation, `invalid input syntax for type numeric: "1.2.3"`},
		{Numeric, "abc", CodeInvalidTextRepresentation, `invalid input syntax for type numeric: "abc"`},
		{Bytea, `\xzz`, CodeInvalidParameterValue, `invalid hexadecimal digit: "z"`},
		{Bytea, `\x1`, CodeInvalidParameterValue, `invalid hexadecimal data: odd number of digits`},
		{Bytea, `\9`, CodeInvalidTextRepresentation, `invalid input syntax for type bytea`},
		{Date, "2024-02-30", CodeDatetimeFieldOverflow, `date/time field value out of range: "2024-02-30"`},
		{Date, "garbage", CodeInvalidDatetimeFormat, `invalid input syntax for type date: "garbage"`},
		{Date, "0000-01-01", CodeDatetimeFieldOverflow, `date/time field value out of range: "0000-01-01"`},
		{Time, "25:00", CodeDatetimeFieldOverflow, `date/time field value out of range: "25:00"`},
		{Timestamp, "2024-01-31 12:61", CodeDatetimeFieldOverflow, `date/time field value out of range: "2024-01-31 12:61"`},
		{TimestampTZ, "2024-01-31 12:00 Mars/Base", CodeInvalidParameterValue, `time zone "mars/base" not recognized`},
		{Interval, "1 fortnight", CodeInvalidDatetimeFormat, `invalid input syntax for type interval: "1 fortnight"`},
		{Interval, "", CodeInvalidDatetimeFormat, `invalid input syntax for type interval: ""`},
		{Interval, "3000000000 days", CodeIntervalFieldOverflow, `interval field value out of range: "3000000000 days"`},
		{JSONB, `{"a":}`, CodeInvalidTextRepresentation, `invalid input syntax for type json`},
		{JSONB, `[1,]`, CodeInvalidTextRepresentation, `invalid input syntax for type json`},
		{JSONB, `01`, CodeInvalidTextRepresentation, `invalid input syntax for type json`},
		{JSONB, `"\u0000"`, CodeUntranslatableCharacter, `unsupported Unicode escape sequence`},
		{JSON, `{'a':1}`, CodeInvalidTextRepresentation, `invalid input syntax for type json`},
		{Int4Array, "{1,2", CodeInvalidTextRepresentation, `malformed array literal: "{1,2"`},
		{Int4Array, "1,2", CodeInvalidTextRepresentation, `malformed array literal: "1,2"`},
		{Int4Array, "{{1,2},{3}}", CodeInvalidTextRepresentation, `malformed array literal: "{{1,2},{3}}"`},
		{Int4Array, "{{1,2},3}", CodeInvalidTextRepresentation, `malformed array literal: "{{1,2},3}"`},
		{Int4Array, "{1,x}", CodeInvalidTextRepresentation, `invalid input syntax for type integer: "x"`},
		{Int4Array, "{1}x", CodeInvalidTextRepresentation, `malformed array literal: "{1}x"`},
		{Int4Array, "{1,,2}", CodeInvalidTextRepresentation, `malformed array literal: "{1,,2}"`},
	}
	for _, c := range cases {
		_, err := ParseText(c.in, c.t, time.UTC)
		if err == nil {
			t.Errorf("ParseText(%q, %s): want error %s", c.in, c.t.Name(), c.code)
			continue
		}
		if Code(err) != c.code || err.Error() != c.msg {
			t.Errorf("ParseText(%q, %s): got %s %q, want %s %q", c.in, c.t.Name(), Code(err), err.Error(), c.code, c.msg)
		}
	}
}

func TestTimestampTZInZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata")
	}
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	d, err := ParseText("2024-01-31 13:45:00", TimestampTZ, ny)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(AppendText(nil, d, TimestampTZ, ny)); got != "2024-01-31 13:45:00-05" {
		t.Errorf("got %q", got)
	}
	if got := string(AppendText(nil, d, TimestampTZ, time.UTC)); got != "2024-01-31 18:45:00+00" {
		t.Errorf("got %q", got)
	}
	if got := string(AppendText(nil, d, TimestampTZ, kolkata)); got != "2024-02-01 00:15:00+05:30" {
		t.Errorf("got %q", got)
	}
	d, _ = ParseText("2024-07-04 12:00:00", TimestampTZ, ny)
	if got := string(AppendText(nil, d, TimestampTZ, ny)); got != "2024-07-04 12:00:00-04" {
		t.Errorf("got %q", got)
	}
	// Timestamp without time zone ignores the session zone.
	d, _ = ParseText("2024-07-04 12:00:00", Timestamp, ny)
	if got := string(AppendText(nil, d, Timestamp, ny)); got != "2024-07-04 12:00:00" {
		t.Errorf("got %q", got)
	}
}

func TestSpecialDates(t *testing.T) {
	for _, in := range []string{"today", "now", "tomorrow", "yesterday"} {
		if _, err := ParseText(in, Date, time.UTC); err != nil {
			t.Errorf("date %q: %v", in, err)
		}
		if _, err := ParseText(in, TimestampTZ, time.UTC); err != nil {
			t.Errorf("timestamptz %q: %v", in, err)
		}
	}
	d, _ := ParseText("today", Date, time.UTC)
	if want := TimeToDate(time.Now().UTC()); d.I != want && d.I != want-1 {
		t.Errorf("today = %d, want %d", d.I, want)
	}
}

func TestExportedHelpers(t *testing.T) {
	tm := time.Date(2024, 1, 31, 13, 45, 0, 123456000, time.UTC)
	us := TimestampFromTime(tm)
	if !TimeFromTimestamp(us).Equal(tm) {
		t.Errorf("TimeFromTimestamp(TimestampFromTime) = %v", TimeFromTimestamp(us))
	}
	days := TimeToDate(tm)
	if got := DateToTime(days); got != time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC) {
		t.Errorf("DateToTime = %v", got)
	}
	if TimeFromTimestamp(-1).Year() != 1969 {
		t.Error("negative timestamp")
	}
	iv, err := ParseInterval("1 day 02:00:00")
	if err != nil || FormatInterval(iv) != "1 day 02:00:00" {
		t.Errorf("ParseInterval/FormatInterval: %v %v", iv, err)
	}
	c, err := CanonicalJSON(`{"b":1,"a":[true,null]}`)
	if err != nil || c != `{"a": [true, null], "b": 1}` {
		t.Errorf("CanonicalJSON = %q, %v", c, err)
	}
	// Compact canonical text from another producer prints with jsonb spacing.
	if got := string(AppendText(nil, DJSON(`{"a":[1,2],"b":"x, y: z"}`), JSONB, nil)); got != `{"a": [1, 2], "b": "x, y: z"}` {
		t.Errorf("spaced = %q", got)
	}
}

func TestCivilDates(t *testing.T) {
	for days := int64(-800000); days < 800000; days += 37 {
		y, m, d := civilFromDays(days)
		if daysFromCivil(y, m, d) != days {
			t.Fatalf("civil round trip %d", days)
		}
		want := time.Unix(days*86400, 0).UTC()
		if int(y) != want.Year() || time.Month(m) != want.Month() || int(d) != want.Day() {
			t.Fatalf("days %d: %d-%d-%d, want %v", days, y, m, d, want)
		}
	}
}

func TestLoadZone(t *testing.T) {
	instant := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]string{
		"+05:30": "-05:30", "UTC+5": "-05", "EST": "-05", "est": "-05", "America/new_york": "-04", "Etc/GMT+5": "-05",
		"-8": "-08", "5.5": "+05:30", "PST8PDT": "-07", "utc": "+00", "GMT-3": "+03", "Asia/Kolkata": "+05:30",
	}
	for name, want := range cases {
		loc, err := LoadZone(name)
		if err != nil {
			t.Errorf("LoadZone(%q): %v", name, err)
			continue
		}
		got := string(AppendTimestampTZ(nil, TimestampFromTime(instant), loc))
		if !strings.HasSuffix(got, want) {
			t.Errorf("LoadZone(%q): %s, want offset %s", name, got, want)
		}
	}
	if _, err := LoadZone("Mars/Olympus"); err == nil || Code(err) != CodeInvalidParameterValue {
		t.Errorf("unknown zone: %v", err)
	}
}

func TestNumericNonDecimal(t *testing.T) {
	for in, want := range map[string]string{"0x1A": "26", "-0o17": "-15", "0b1_01": "5", "0xFFFFFFFFFFFFFFFFFFFF": "1208925819614629174706175"} {
		d, err := ParseText(in, Numeric, nil)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if got := string(AppendText(nil, d, Numeric, nil)); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
	for _, in := range []string{"0x", "0x_1", "0x1_", "0xg", "0x-1", "0x+1"} {
		if _, err := ParseText(in, Numeric, nil); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
}

func TestAppendFloatExtraDigits(t *testing.T) {
	cases := []struct {
		f     float64
		bits  int
		extra int
		want  string
	}{
		{0.1, 64, 0, "0.1"}, {1.0 / 3, 64, 0, "0.333333333333333"}, {1.0 / 3, 64, 1, "0.3333333333333333"},
		{1e15, 64, 0, "1e+15"}, {123456789, 32, 0, "1.23457e+08"}, {0.1, 64, -14, "0.1"}, {2.5, 64, -15, "2"},
	}
	for _, c := range cases {
		if got := string(AppendFloatExtraDigits(nil, c.f, c.bits, c.extra)); got != c.want {
			t.Errorf("%v/%d/%d: got %q, want %q", c.f, c.bits, c.extra, got, c.want)
		}
	}
}

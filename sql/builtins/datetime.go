package builtins

import (
	"math"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

func stmtMicros(ctx *Context) int64 {
	if ctx == nil || ctx.StmtTime.IsZero() {
		return time.Now().UnixMicro()
	}
	return ctx.StmtTime.UnixMicro()
}

// resolveZone resolves a time zone name or a numeric offset the way
// Postgres's AT TIME ZONE does (a POSIX-style "+05" means 5 hours WEST).
func resolveZone(name string) (*time.Location, error) {
	n := strings.TrimSpace(name)
	switch strings.ToLower(n) {
	case "utc", "gmt", "z", "zulu", "etc/utc":
		return time.UTC, nil
	}
	if l, err := time.LoadLocation(n); err == nil {
		return l, nil
	}
	// Case-insensitive retry for common spellings (europe/paris).
	if i := strings.IndexByte(n, '/'); i > 0 {
		fixed := strings.ToUpper(n[:1]) + strings.ToLower(n[1:i+1]) + strings.ToUpper(n[i+1:i+2]) + strings.ToLower(n[i+2:])
		if l, err := time.LoadLocation(fixed); err == nil {
			return l, nil
		}
	}
	if off, ok := parseOffset(n); ok {
		return time.FixedZone(n, -off), nil
	}
	return nil, types.Errorf(types.CodeInvalidParameterValue, "time zone \"%s\" not recognized", name)
}

// parseOffset parses [+-]hh[:mm[:ss]] into seconds.
func parseOffset(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '+':
		s = s[1:]
	case '-':
		sign = -1
		s = s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 || parts[0] == "" {
		return 0, false
	}
	mult := []int{3600, 60, 1}
	total := 0
	for i, p := range parts {
		v := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		total += v * mult[i]
	}
	return sign * total, true
}

func registerDatetimeFuncs(b *registryBuilder) {
	TZ, TS, D, IV, TM, T, F, N, I := types.TimestampTZ, types.Timestamp, types.Date, types.Interval, types.Time, types.Text, types.Float8, types.Numeric, types.Int4
	nowFn := func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		return types.DTimestampTZ(stmtMicros(ctx)), nil
	}
	for _, name := range []string{"now", "current_timestamp", "transaction_timestamp", "statement_timestamp"} {
		b.fn(&Overload{Name: name, Ret: TZ, Volatility: Stable, Fn: nowFn})
	}
	b.fn(&Overload{Name: "clock_timestamp", Ret: TZ, Volatility: Volatile, Fn: func(_ *Context, _ []types.Datum) (types.Datum, error) {
		return types.DTimestampTZ(time.Now().UnixMicro()), nil
	}})
	b.fn(&Overload{Name: "timeofday", Ret: T, Volatility: Volatile, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		return types.DString(time.Now().In(loc(ctx)).Format("Mon Jan 02 15:04:05.000000 2006 MST")), nil
	}})
	b.fn(&Overload{Name: "current_date", Ret: D, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		return types.DDate(floorDiv(tzToWall(stmtMicros(ctx), loc(ctx)), usecPerDay)), nil
	}})
	b.fn(&Overload{Name: "localtimestamp", Ret: TS, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		return types.DTimestamp(tzToWall(stmtMicros(ctx), loc(ctx))), nil
	}})
	b.fn(&Overload{Name: "localtime", Ret: TM, Volatility: Stable, Fn: func(ctx *Context, _ []types.Datum) (types.Datum, error) {
		_, tod := splitWall(tzToWall(stmtMicros(ctx), loc(ctx)))
		return types.DTime(tod), nil
	}})

	// date_trunc.
	b.fn(&Overload{Name: "date_trunc", Args: args(T, TS), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := truncWall(a[0].S, a[1].I, "timestamp without time zone")
		return types.DTimestamp(r), err
	}})
	b.fn(&Overload{Name: "date_trunc", Args: args(T, TZ), Ret: TZ, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		return truncTZ(a[0].S, a[1].I, loc(ctx))
	}})
	b.fn(&Overload{Name: "date_trunc", Args: args(T, TZ, T), Ret: TZ, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		l, err := resolveZone(a[2].S)
		if err != nil {
			return types.Null, err
		}
		return truncTZ(a[0].S, a[1].I, l)
	}})
	b.fn(&Overload{Name: "date_trunc", Args: args(T, IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return truncInterval(a[0].S, a[1].Interval())
	}})

	// extract (numeric) and date_part (float8).
	// The small integers extract returns (hours, days, months, ...) are
	// shared decimals: a result never changes once in a Datum, and q14
	// extracts the hour four times per row.
	small := newSmallDecimals(smallDecimalCount)
	for _, src := range []*types.T{TS, TZ, D, TM, IV} {
		src := src
		b.fn(&Overload{Name: "extract", Args: args(T, src), Ret: N, Volatility: volatilityFor(src), Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
			r, err := extractField(ctx, a[0].S, a[1], src, small)
			if err != nil || r == nil {
				return types.Null, err
			}
			return dDec(r), nil
		}})
		b.fn(&Overload{Name: "date_part", Args: args(T, src), Ret: F, Volatility: volatilityFor(src), Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
			r, err := extractField(ctx, a[0].S, a[1], src, nil)
			if err != nil || r == nil {
				return types.Null, err
			}
			return types.DFloat(floatFromDec(r)), nil
		}})
	}

	// age.
	b.fn(&Overload{Name: "age", Args: args(TS, TS), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return age(a[0].I, a[1].I)
	}})
	b.fn(&Overload{Name: "age", Args: args(TZ, TZ), Ret: IV, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		return age(tzToWall(a[0].I, loc(ctx)), tzToWall(a[1].I, loc(ctx)))
	}})
	b.fn(&Overload{Name: "age", Args: args(TS), Ret: IV, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		today := floorDiv(tzToWall(stmtMicros(ctx), loc(ctx)), usecPerDay) * usecPerDay
		return age(today, a[0].I)
	}})
	b.fn(&Overload{Name: "age", Args: args(TZ), Ret: IV, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		today := floorDiv(tzToWall(stmtMicros(ctx), loc(ctx)), usecPerDay) * usecPerDay
		return age(today, tzToWall(a[0].I, loc(ctx)))
	}})

	// constructors.
	b.fn(&Overload{Name: "make_date", Args: args(I, I, I), Ret: D, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		d, err := makeDate(a[0].I, a[1].I, a[2].I)
		return types.DDate(d), err
	}})
	b.fn(&Overload{Name: "make_time", Args: args(I, I, F), Ret: TM, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		t, err := makeTime(a[0].I, a[1].I, a[2].Float())
		return types.DTime(t), err
	}})
	makeTS := func(a []types.Datum) (int64, error) {
		d, err := makeDate(a[0].I, a[1].I, a[2].I)
		if err != nil {
			return 0, err
		}
		t, err := makeTime(a[3].I, a[4].I, a[5].Float())
		if err != nil {
			return 0, err
		}
		return d*usecPerDay + t, nil
	}
	b.fn(&Overload{Name: "make_timestamp", Args: args(I, I, I, I, I, F), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		v, err := makeTS(a)
		return types.DTimestamp(v), err
	}})
	b.fn(&Overload{Name: "make_timestamptz", Args: args(I, I, I, I, I, F), Ret: TZ, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		v, err := makeTS(a)
		return types.DTimestampTZ(wallToTZ(v, loc(ctx))), err
	}})
	b.fn(&Overload{Name: "make_timestamptz", Args: args(I, I, I, I, I, F, T), Ret: TZ, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		v, err := makeTS(a)
		if err != nil {
			return types.Null, err
		}
		l, err := resolveZone(a[6].S)
		if err != nil {
			return types.Null, err
		}
		return types.DTimestampTZ(wallToTZ(v, l)), nil
	}})
	// make_interval(years, months, weeks, days, hours, mins, secs), trailing
	// arguments optional.
	intervalArgs := []*types.T{I, I, I, I, I, I, F}
	for n := 0; n <= len(intervalArgs); n++ {
		b.fn(&Overload{Name: "make_interval", Args: intervalArgs[:n], Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			var v [7]float64
			for i, d := range a {
				if i == 6 {
					v[i] = d.Float()
				} else {
					v[i] = float64(d.I)
				}
			}
			months := v[0]*12 + v[1]
			days := v[2]*7 + v[3]
			micros := math.RoundToEven((v[4]*3600 + v[5]*60 + v[6]) * 1e6)
			if math.Abs(months) > math.MaxInt32 || math.Abs(days) > math.MaxInt32 || math.Abs(micros) > 9.2e18 || math.IsNaN(micros) {
				return types.Null, errIntervalRange()
			}
			return types.DInterval(types.IntervalValue{Months: int32(months), Days: int32(days), Micros: int64(micros)}), nil
		}})
	}
	b.fn(&Overload{Name: "to_timestamp", Args: args(F), Ret: TZ, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		f := a[0].Float()
		switch {
		case math.IsInf(f, 1):
			return types.DTimestampTZ(infinityMicros), nil
		case math.IsInf(f, -1):
			return types.DTimestampTZ(negInfinityMicros), nil
		case math.IsNaN(f) || math.Abs(f) > 9.2e12:
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "timestamp out of range: \"%g\"", f)
		}
		return types.DTimestampTZ(int64(math.RoundToEven(f * 1e6))), nil
	}})
	b.fn(&Overload{Name: "to_timestamp", Args: args(T, T), Ret: TZ, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		p, err := parseWithFormat(a[0].S, a[1].S)
		if err != nil {
			return types.Null, err
		}
		wall, err := p.wallMicros()
		if err != nil {
			return types.Null, err
		}
		if p.hasTZ {
			return types.DTimestampTZ(wall - int64(p.tzOffset)*usecPerSec), nil
		}
		return types.DTimestampTZ(wallToTZ(wall, loc(ctx))), nil
	}})
	b.fn(&Overload{Name: "to_date", Args: args(T, T), Ret: D, Volatility: Stable, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		p, err := parseWithFormat(a[0].S, a[1].S)
		if err != nil {
			return types.Null, err
		}
		wall, err := p.wallMicros()
		if err != nil {
			return types.Null, err
		}
		return types.DDate(floorDiv(wall, usecPerDay)), nil
	}})
	b.fn(&Overload{Name: "date_bin", Args: args(IV, TS, TS), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := dateBin(a[0].Interval(), a[1].I, a[2].I)
		return types.DTimestamp(r), err
	}})
	b.fn(&Overload{Name: "date_bin", Args: args(IV, TZ, TZ), Ret: TZ, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		r, err := dateBin(a[0].Interval(), a[1].I, a[2].I)
		return types.DTimestampTZ(r), err
	}})
	b.fn(&Overload{Name: "justify_days", Args: args(IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInterval(justifyDays(a[0].Interval())), nil
	}})
	b.fn(&Overload{Name: "justify_hours", Args: args(IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInterval(justifyHours(a[0].Interval())), nil
	}})
	b.fn(&Overload{Name: "justify_interval", Args: args(IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInterval(justifyInterval(a[0].Interval())), nil
	}})
	for _, t := range []*types.T{D, TS, TZ} {
		b.fn(&Overload{Name: "isfinite", Args: args(t), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return types.DBool(finiteTS(a[0].I)), nil
		}})
	}
	b.fn(&Overload{Name: "isfinite", Args: args(IV), Ret: types.Bool, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DBool(true), nil
	}})
	// timezone(zone, ts): AT TIME ZONE.
	b.fn(&Overload{Name: "timezone", Args: args(T, TZ), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		l, err := resolveZone(a[0].S)
		if err != nil {
			return types.Null, err
		}
		return types.DTimestamp(tzToWall(a[1].I, l)), nil
	}})
	b.fn(&Overload{Name: "timezone", Args: args(T, TS), Ret: TZ, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		l, err := resolveZone(a[0].S)
		if err != nil {
			return types.Null, err
		}
		return types.DTimestampTZ(wallToTZ(a[1].I, l)), nil
	}})
	b.fn(&Overload{Name: "timezone", Args: args(IV, TZ), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		iv := a[0].Interval()
		if iv.Months != 0 || iv.Days != 0 {
			return types.Null, types.Errorf(types.CodeInvalidParameterValue, "interval time zone \"%s\" must not include months or days", "interval")
		}
		if !finiteTS(a[1].I) {
			return a[1], nil
		}
		return types.DTimestamp(a[1].I + iv.Micros), nil
	}})
	b.fn(&Overload{Name: "timezone", Args: args(IV, TS), Ret: TZ, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		iv := a[0].Interval()
		if !finiteTS(a[1].I) {
			return types.DTimestampTZ(a[1].I), nil
		}
		return types.DTimestampTZ(a[1].I - iv.Micros), nil
	}})
}

func volatilityFor(t *types.T) Volatility {
	if t.Oid == types.OidTimestampTZ {
		return Stable
	}
	return Immutable
}

func makeDate(y, m, d int64) (int64, error) {
	if y == 0 {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	if y < 0 {
		y++ // 1 BC is year 0 in the proleptic calendar
	}
	if m < 1 || m > 12 || d < 1 || d > int64(daysInMonth(int(y), int(m))) {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", y, m, d)
	}
	return daysFromCivil(int(y), int(m), int(d)), nil
}

func makeTime(h, m int64, s float64) (int64, error) {
	if h < 0 || h > 24 || m < 0 || m > 59 || s < 0 || s > 60 || (h == 24 && (m > 0 || s > 0)) {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "time field value out of range: %d:%02d:%s", h, m, formatFloatShort(s))
	}
	return h*usecPerHour + m*usecPerMin + int64(math.RoundToEven(s*1e6)), nil
}

func formatFloatShort(f float64) string {
	return strings.TrimRight(strings.TrimRight(apd.New(int64(math.Round(f*1e6)), -6).Text('f'), "0"), ".")
}

// civil holds the broken-down fields of a wall-clock timestamp.
type civil struct {
	year, month, day, hour, min, sec, usec int
	days                                   int64 // since 1970-01-01
}

func toCivil(micros int64) civil {
	days, tod := splitWall(micros)
	y, m, d := civilFromDays(days)
	return civil{
		year: y, month: m, day: d,
		hour: int(tod / usecPerHour), min: int(tod % usecPerHour / usecPerMin),
		sec: int(tod % usecPerMin / usecPerSec), usec: int(tod % usecPerSec),
		days: days,
	}
}

func fromCivil(c civil) int64 {
	return daysFromCivil(c.year, c.month, c.day)*usecPerDay + int64(c.hour)*usecPerHour +
		int64(c.min)*usecPerMin + int64(c.sec)*usecPerSec + int64(c.usec)
}

// dow is the day of week, 0 = Sunday.
func (c civil) dow() int { return int(floorMod(c.days+4, 7)) }

func (c civil) doy() int {
	return int(c.days-daysFromCivil(c.year, 1, 1)) + 1
}

// isoWeek returns the ISO 8601 year and week.
func (c civil) isoWeek() (int, int) {
	// Thursday of this week decides the year.
	isoDow := c.dow()
	if isoDow == 0 {
		isoDow = 7
	}
	thursday := c.days - int64(isoDow) + 4
	y, _, _ := civilFromDays(thursday)
	week := int((thursday-daysFromCivil(y, 1, 1))/7) + 1
	return y, week
}

func normField(f string) string {
	f = strings.ToLower(strings.TrimSpace(f))
	switch f {
	case "microsecond", "microseconds", "us", "usec", "usecs", "useconds":
		return "microseconds"
	case "millisecond", "milliseconds", "ms", "msec", "msecs", "mseconds":
		return "milliseconds"
	case "second", "seconds", "s", "sec", "secs":
		return "second"
	case "minute", "minutes", "m", "min", "mins":
		return "minute"
	case "hour", "hours", "h", "hr", "hrs":
		return "hour"
	case "day", "days", "d":
		return "day"
	case "week", "weeks", "w":
		return "week"
	case "month", "months", "mon", "mons":
		return "month"
	case "quarter", "qtr":
		return "quarter"
	case "year", "years", "y", "yr", "yrs":
		return "year"
	case "decade", "decades", "dec":
		return "decade"
	case "century", "centuries", "c", "cent":
		return "century"
	case "millennium", "millennia", "mil", "mils", "millenniums":
		return "millennium"
	case "julian", "j":
		return "julian"
	}
	return f
}

func unitNotSupported(unit, typ string) error {
	return types.Errorf(types.CodeFeatureNotSupported, "unit \"%s\" not supported for type %s", unit, typ)
}

func unitNotRecognized(unit, typ string) error {
	return types.Errorf(types.CodeInvalidParameterValue, "unit \"%s\" not recognized for type %s", unit, typ)
}

func truncCivil(field string, c civil, typ string) (civil, error) {
	switch normField(field) {
	case "millennium":
		if c.year > 0 {
			c.year = (c.year+999)/1000*1000 - 999
		} else {
			c.year = -((999-(c.year-1))/1000*1000 - 1)
		}
		c.month, c.day, c.hour, c.min, c.sec, c.usec = 1, 1, 0, 0, 0, 0
	case "century":
		if c.year > 0 {
			c.year = (c.year+99)/100*100 - 99
		} else {
			c.year = -((99-(c.year-1))/100*100 - 1)
		}
		c.month, c.day, c.hour, c.min, c.sec, c.usec = 1, 1, 0, 0, 0, 0
	case "decade":
		if c.year > 0 {
			c.year = c.year / 10 * 10
		} else {
			c.year = -((8 - (c.year - 1)) / 10 * 10)
		}
		c.month, c.day, c.hour, c.min, c.sec, c.usec = 1, 1, 0, 0, 0, 0
	case "year":
		c.month, c.day, c.hour, c.min, c.sec, c.usec = 1, 1, 0, 0, 0, 0
	case "quarter":
		c.month = (c.month-1)/3*3 + 1
		c.day, c.hour, c.min, c.sec, c.usec = 1, 0, 0, 0, 0
	case "month":
		c.day, c.hour, c.min, c.sec, c.usec = 1, 0, 0, 0, 0
	case "week":
		isoDow := c.dow()
		if isoDow == 0 {
			isoDow = 7
		}
		y, m, d := civilFromDays(c.days - int64(isoDow-1))
		c.year, c.month, c.day = y, m, d
		c.hour, c.min, c.sec, c.usec = 0, 0, 0, 0
	case "day":
		c.hour, c.min, c.sec, c.usec = 0, 0, 0, 0
	case "hour":
		c.min, c.sec, c.usec = 0, 0, 0
	case "minute":
		c.sec, c.usec = 0, 0
	case "second":
		c.usec = 0
	case "milliseconds":
		c.usec = c.usec / 1000 * 1000
	case "microseconds":
	default:
		return c, unitNotRecognized(field, typ)
	}
	return c, nil
}

func truncWall(field string, micros int64, typ string) (int64, error) {
	if !finiteTS(micros) {
		return micros, nil
	}
	c, err := truncCivil(field, toCivil(micros), typ)
	if err != nil {
		return 0, err
	}
	return fromCivil(c), nil
}

func truncTZ(field string, micros int64, l *time.Location) (types.Datum, error) {
	if !finiteTS(micros) {
		return types.DTimestampTZ(micros), nil
	}
	f := normField(field)
	switch f {
	case "microseconds", "milliseconds", "second", "minute":
		// No zone arithmetic needed below an hour's granularity (almost all
		// zones have whole-minute offsets).
		r, err := truncWall(field, micros, "timestamp with time zone")
		return types.DTimestampTZ(r), err
	}
	w, err := truncWall(field, tzToWall(micros, l), "timestamp with time zone")
	if err != nil {
		return types.Null, err
	}
	return types.DTimestampTZ(wallToTZ(w, l)), nil
}

func truncInterval(field string, iv types.IntervalValue) (types.Datum, error) {
	years, months := iv.Months/12, iv.Months%12
	days := iv.Days
	us := iv.Micros
	hours := us / usecPerHour
	mins := us % usecPerHour / usecPerMin
	frac := us % usecPerSec
	switch normField(field) {
	case "millennium":
		return types.DInterval(types.IntervalValue{Months: years / 1000 * 1000 * 12}), nil
	case "century":
		return types.DInterval(types.IntervalValue{Months: years / 100 * 100 * 12}), nil
	case "decade":
		return types.DInterval(types.IntervalValue{Months: years / 10 * 10 * 12}), nil
	case "year":
		return types.DInterval(types.IntervalValue{Months: years * 12}), nil
	case "quarter":
		return types.DInterval(types.IntervalValue{Months: years*12 + months/3*3}), nil
	case "month":
		return types.DInterval(types.IntervalValue{Months: iv.Months}), nil
	case "day":
		return types.DInterval(types.IntervalValue{Months: iv.Months, Days: days}), nil
	case "hour":
		return types.DInterval(types.IntervalValue{Months: iv.Months, Days: days, Micros: hours * usecPerHour}), nil
	case "minute":
		return types.DInterval(types.IntervalValue{Months: iv.Months, Days: days, Micros: hours*usecPerHour + mins*usecPerMin}), nil
	case "second":
		return types.DInterval(types.IntervalValue{Months: iv.Months, Days: days, Micros: us - frac}), nil
	case "milliseconds":
		return types.DInterval(types.IntervalValue{Months: iv.Months, Days: days, Micros: us - frac%1000}), nil
	case "microseconds":
		return types.DInterval(iv), nil
	case "week":
		return types.Null, unitNotSupported(field, "interval")
	}
	return types.Null, unitNotRecognized(field, "interval")
}

func decScaled(v int64, scale int32) *apd.Decimal { return apd.New(v, -scale) }

// extractField implements EXTRACT and date_part. numericResult selects the
// scales EXTRACT returns (date_part converts the same value to float8).
// extractField is extract (small != nil: the numeric result, its small
// integers taken from small) or date_part (small == nil).
func extractField(ctx *Context, field string, d types.Datum, t *types.T, small *smallDecimals) (*apd.Decimal, error) {
	numericResult := small != nil
	f := normField(field)
	switch t.Family {
	case types.IntervalFamily:
		return extractInterval(f, field, d.Interval())
	case types.TimeFamily:
		return extractTime(f, field, d.I)
	}
	typ := t.Name()
	var micros int64
	switch t.Family {
	case types.DateFamily:
		if !finiteTS(d.I) {
			return infinityField(f, field, d.I > 0, typ)
		}
		micros = d.I * usecPerDay
		if numericResult {
			switch f {
			case "microseconds", "milliseconds", "second", "minute", "hour", "timezone", "timezone_hour", "timezone_minute":
				return nil, unitNotSupported(field, typ)
			}
		}
	case types.TimestampTZFamily:
		if !finiteTS(d.I) {
			return infinityField(f, field, d.I > 0, typ)
		}
		if f == "epoch" {
			return decScaled(d.I, 6), nil
		}
		_, off := time.UnixMicro(d.I).In(loc(ctx)).Zone()
		switch f {
		case "timezone":
			return apd.New(int64(off), 0), nil
		case "timezone_hour":
			return apd.New(int64(off/3600), 0), nil
		case "timezone_minute":
			return apd.New(int64(off%3600/60), 0), nil
		}
		micros = d.I + int64(off)*usecPerSec
	default:
		if !finiteTS(d.I) {
			return infinityField(f, field, d.I > 0, typ)
		}
		micros = d.I
		if f == "timezone" || f == "timezone_hour" || f == "timezone_minute" {
			return nil, unitNotSupported(field, typ)
		}
	}
	c := toCivil(micros)
	secMicros := int64(c.sec)*usecPerSec + int64(c.usec)
	year := int64(c.year)
	if year <= 0 {
		year-- // 1 BC
	}
	switch f {
	case "microseconds":
		return apd.New(secMicros, 0), nil
	case "milliseconds":
		return decScaled(secMicros, 3), nil
	case "second":
		return decScaled(secMicros, 6), nil
	case "minute":
		return small.get(int64(c.min)), nil
	case "hour":
		return small.get(int64(c.hour)), nil
	case "day":
		return small.get(int64(c.day)), nil
	case "month":
		return small.get(int64(c.month)), nil
	case "quarter":
		return small.get(int64((c.month-1)/3 + 1)), nil
	case "year":
		return apd.New(year, 0), nil
	// The formulas below use the astronomical year (1 BC is 0), as
	// Postgres's tm_year does.
	case "decade":
		y := int64(c.year)
		if y >= 0 {
			return apd.New(y/10, 0), nil
		}
		return apd.New(-((8 - (y - 1)) / 10), 0), nil
	case "century":
		y := int64(c.year)
		if y > 0 {
			return apd.New((y+99)/100, 0), nil
		}
		return apd.New(-((99 - (y - 1)) / 100), 0), nil
	case "millennium":
		y := int64(c.year)
		if y > 0 {
			return apd.New((y+999)/1000, 0), nil
		}
		return apd.New(-((999 - (y - 1)) / 1000), 0), nil
	case "dow":
		return small.get(int64(c.dow())), nil
	case "isodow":
		d := c.dow()
		if d == 0 {
			d = 7
		}
		return small.get(int64(d)), nil
	case "doy":
		return small.get(int64(c.doy())), nil
	case "week":
		_, w := c.isoWeek()
		return small.get(int64(w)), nil
	case "isoyear":
		y, _ := c.isoWeek()
		return apd.New(int64(y), 0), nil
	case "epoch":
		if t.Family == types.DateFamily && numericResult {
			return apd.New(c.days*86400, 0), nil
		}
		return decScaled(micros, 6), nil
	case "julian":
		jd := apd.New(c.days+2440588, 0)
		_, tod := splitWall(micros)
		if tod == 0 || (t.Family == types.DateFamily && numericResult) {
			return jd, nil
		}
		frac, err := numericDiv(apd.New(tod, 0), apd.New(usecPerDay, 0))
		if err != nil {
			return nil, err
		}
		r := new(apd.Decimal)
		decCtx.Add(r, jd, frac)
		return r, nil
	}
	return nil, unitNotRecognized(field, typ)
}

func infinityField(f, field string, positive bool, typ string) (*apd.Decimal, error) {
	switch f {
	case "year", "decade", "century", "millennium", "julian", "isoyear", "epoch":
		return &apd.Decimal{Form: apd.Infinite, Negative: !positive}, nil
	}
	if normField(f) == "" {
		return nil, unitNotRecognized(field, typ)
	}
	return nil, nil
}

func extractTime(f, field string, us int64) (*apd.Decimal, error) {
	sec := us % usecPerMin
	switch f {
	case "microseconds":
		return apd.New(sec, 0), nil
	case "milliseconds":
		return decScaled(sec, 3), nil
	case "second":
		return decScaled(sec, 6), nil
	case "minute":
		return apd.New(us%usecPerHour/usecPerMin, 0), nil
	case "hour":
		return apd.New(us/usecPerHour, 0), nil
	case "epoch":
		return decScaled(us, 6), nil
	}
	switch f {
	case "day", "month", "year", "quarter", "decade", "century", "millennium", "dow", "doy", "week", "isodow", "isoyear", "julian":
		return nil, unitNotSupported(field, "time without time zone")
	}
	return nil, unitNotRecognized(field, "time without time zone")
}

func extractInterval(f, field string, iv types.IntervalValue) (*apd.Decimal, error) {
	us := iv.Micros
	switch f {
	case "microseconds":
		return apd.New(us%usecPerMin, 0), nil
	case "milliseconds":
		return decScaled(us%usecPerMin, 3), nil
	case "second":
		return decScaled(us%usecPerMin, 6), nil
	case "minute":
		return apd.New(us%usecPerHour/usecPerMin, 0), nil
	case "hour":
		return apd.New(us/usecPerHour, 0), nil
	case "day":
		return apd.New(int64(iv.Days), 0), nil
	case "month":
		return apd.New(int64(iv.Months%12), 0), nil
	case "quarter":
		return apd.New(int64(iv.Months%12/3+1), 0), nil
	case "year":
		return apd.New(int64(iv.Months/12), 0), nil
	case "decade":
		return apd.New(int64(iv.Months/120), 0), nil
	case "century":
		return apd.New(int64(iv.Months/1200), 0), nil
	case "millennium":
		return apd.New(int64(iv.Months/12000), 0), nil
	case "epoch":
		// 365.25 days per year, 30 days per month, in microseconds.
		secs := int64(iv.Months/12)*31557600_000000 + int64(iv.Months%12)*30*usecPerDay + int64(iv.Days)*usecPerDay + us
		return decScaled(secs, 6), nil
	}
	switch f {
	case "dow", "doy", "week", "isodow", "isoyear", "julian", "timezone", "timezone_hour", "timezone_minute":
		return nil, unitNotSupported(field, "interval")
	}
	return nil, unitNotRecognized(field, "interval")
}

// age computes the symbolic difference of two wall-clock timestamps in
// years, months and days, as Postgres's timestamp_age.
func age(a, b int64) (types.Datum, error) {
	if !finiteTS(a) || !finiteTS(b) {
		return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	c1, c2 := toCivil(a), toCivil(b)
	usec := c1.usec - c2.usec
	sec := c1.sec - c2.sec
	mins := c1.min - c2.min
	hour := c1.hour - c2.hour
	day := c1.day - c2.day
	mon := c1.month - c2.month
	year := c1.year - c2.year
	neg := a < b
	if neg {
		usec, sec, mins, hour, day, mon, year = -usec, -sec, -mins, -hour, -day, -mon, -year
	}
	for usec < 0 {
		usec += 1_000_000
		sec--
	}
	for sec < 0 {
		sec += 60
		mins--
	}
	for mins < 0 {
		mins += 60
		hour--
	}
	for hour < 0 {
		hour += 24
		day--
	}
	for day < 0 {
		if neg {
			day += daysInMonth(c1.year, c1.month)
		} else {
			day += daysInMonth(c2.year, c2.month)
		}
		mon--
	}
	for mon < 0 {
		mon += 12
		year--
	}
	if neg {
		usec, sec, mins, hour, day, mon, year = -usec, -sec, -mins, -hour, -day, -mon, -year
	}
	return types.DInterval(types.IntervalValue{
		Months: int32(year*12 + mon),
		Days:   int32(day),
		Micros: int64(hour)*usecPerHour + int64(mins)*usecPerMin + int64(sec)*usecPerSec + int64(usec),
	}), nil
}

func dateBin(stride types.IntervalValue, source, origin int64) (int64, error) {
	if stride.Months != 0 {
		return 0, types.Errorf(types.CodeFeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	s := int64(stride.Days)*usecPerDay + stride.Micros
	if s <= 0 {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "stride must be greater than zero")
	}
	if !finiteTS(source) {
		return source, nil
	}
	diff := source - origin
	return origin + floorDiv(diff, s)*s, nil
}

// smallDecimalCount covers every value of the calendar fields extract
// returns from a table (day of year up to 366).
const smallDecimalCount = 400

// smallDecimals holds the decimals 0..n-1, allocated once and shared by
// the results that have those values (results are never mutated).
type smallDecimals struct{ d []apd.Decimal }

func newSmallDecimals(n int) *smallDecimals {
	s := &smallDecimals{d: make([]apd.Decimal, n)}
	for i := range s.d {
		s.d[i].SetInt64(int64(i))
	}
	return s
}

// get returns the decimal v: a shared one when it is small, else a new one
// (always a new one from a nil receiver).
func (s *smallDecimals) get(v int64) *apd.Decimal {
	if s != nil && v >= 0 && v < int64(len(s.d)) {
		return &s.d[v]
	}
	return apd.New(v, 0)
}

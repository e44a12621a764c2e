package types

import (
	"math"
	"strconv"
	"strings"
)

// FormatInterval returns iv in IntervalStyle postgres.
func FormatInterval(iv IntervalValue) string {
	return string(AppendInterval(nil, iv))
}

// AppendInterval appends iv in IntervalStyle postgres: "1 year 2 mons 3
// days 04:05:06.5", "-1 days", "00:00:00", "-1 days +02:00:00".
func AppendInterval(buf []byte, iv IntervalValue) []byte {
	years := int64(iv.Months / 12)
	months := int64(iv.Months % 12)
	isZero, isBefore := true, false
	buf = appendIntervalPart(buf, years, "year", &isZero, &isBefore)
	buf = appendIntervalPart(buf, months, "mon", &isZero, &isBefore)
	buf = appendIntervalPart(buf, int64(iv.Days), "day", &isZero, &isBefore)
	if isZero || iv.Micros != 0 {
		if !isZero {
			buf = append(buf, ' ')
		}
		us := iv.Micros
		switch {
		case us < 0:
			buf = append(buf, '-')
		case isBefore:
			buf = append(buf, '+')
		}
		// Work in uint64 so that math.MinInt64 microseconds negate safely.
		u := uint64(us)
		if us < 0 {
			u = uint64(-(us + 1)) + 1
		}
		hours := u / uint64(MicrosPerHour)
		rest := int64(u % uint64(MicrosPerHour))
		buf = appendPadded(buf, int64(hours), 2)
		buf = append(buf, ':')
		buf = appendPadded(buf, rest/MicrosPerMinute, 2)
		buf = append(buf, ':')
		buf = appendSeconds(buf, rest%MicrosPerMinute)
	}
	return buf
}

// appendIntervalPart is Postgres's AddPostgresIntPart.
func appendIntervalPart(buf []byte, v int64, unit string, isZero, isBefore *bool) []byte {
	if v == 0 {
		return buf
	}
	if !*isZero {
		buf = append(buf, ' ')
	}
	if *isBefore && v > 0 {
		buf = append(buf, '+')
	}
	buf = strconv.AppendInt(buf, v, 10)
	buf = append(buf, ' ')
	buf = append(buf, unit...)
	if v != 1 {
		buf = append(buf, 's')
	}
	*isBefore = v < 0
	*isZero = false
	return buf
}

// intervalUnit is a unit of an interval input field.
type intervalUnit uint8

const (
	unitNone intervalUnit = iota
	unitMicrosecond
	unitMillisecond
	unitSecond
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitYear
	unitDecade
	unitCentury
	unitMillennium
)

func intervalUnitOf(w string) intervalUnit {
	switch w {
	case "microsecond", "microseconds", "microsecon", "usec", "usecs", "us", "useconds", "usecond":
		return unitMicrosecond
	case "millisecond", "milliseconds", "millisecon", "msec", "msecs", "ms", "mseconds", "msecond":
		return unitMillisecond
	case "second", "seconds", "sec", "secs", "s":
		return unitSecond
	case "minute", "minutes", "min", "mins", "m":
		return unitMinute
	case "hour", "hours", "hr", "hrs", "h":
		return unitHour
	case "day", "days", "d":
		return unitDay
	case "week", "weeks", "w":
		return unitWeek
	case "month", "months", "mon", "mons":
		return unitMonth
	case "year", "years", "yr", "yrs", "y":
		return unitYear
	case "decade", "decades", "dec", "decs":
		return unitDecade
	case "century", "centuries", "cent", "c":
		return unitCentury
	case "millennium", "millennia", "mil", "mils", "millenniums":
		return unitMillennium
	}
	return unitNone
}

// intervalAcc accumulates interval fields with overflow checks.
type intervalAcc struct {
	months, days, micros int64
	overflow             bool
}

func (a *intervalAcc) addMicros(v int64) {
	s, ok := addInt64(a.micros, v)
	a.micros = s
	a.overflow = a.overflow || !ok
}

func (a *intervalAcc) addDays(v int64) {
	a.days += v
	if a.days > math.MaxInt32 || a.days < math.MinInt32 || v > math.MaxInt32 || v < math.MinInt32 {
		a.overflow = true
	}
}

func (a *intervalAcc) addMonths(v int64) {
	a.months += v
	if a.months > math.MaxInt32 || a.months < math.MinInt32 || v > math.MaxInt32 || v < math.MinInt32 {
		a.overflow = true
	}
}

func addInt64(a, b int64) (int64, bool) {
	s := a + b
	if (a > 0 && b > 0 && s < 0) || (a < 0 && b < 0 && s >= 0) {
		return s, false
	}
	return s, true
}

func mulInt64(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return p, false
	}
	return p, true
}

// addFractMicros is Postgres's AdjustFractMicroseconds.
func (a *intervalAcc) addFractMicros(frac float64, scale int64) {
	if frac == 0 {
		return
	}
	frac *= float64(scale)
	if math.Abs(frac) >= 9e18 {
		a.overflow = true
		return
	}
	us := int64(frac)
	us += int64(math.RoundToEven(frac - float64(us)))
	a.addMicros(us)
}

// addFractDays is Postgres's AdjustFractDays.
func (a *intervalAcc) addFractDays(frac float64, scale int64) {
	if frac == 0 {
		return
	}
	frac *= float64(scale)
	if math.Abs(frac) >= 3e9 {
		a.overflow = true
		return
	}
	extra := int64(frac)
	a.addDays(extra)
	a.addFractMicros(frac-float64(extra), MicrosPerDay)
}

// addUnit adds val+frac of unit, as Postgres's DecodeInterval does.
func (a *intervalAcc) addUnit(unit intervalUnit, val int64, frac float64) {
	scaled := func(scale int64) {
		v, ok := mulInt64(val, scale)
		if !ok {
			a.overflow = true
			return
		}
		a.addMicros(v)
		a.addFractMicros(frac, scale)
	}
	years := func(n int64) {
		v, ok := mulInt64(val, 12*n)
		if !ok {
			a.overflow = true
			return
		}
		a.addMonths(v)
		if frac != 0 {
			m := math.RoundToEven(frac * float64(n) * 12)
			if math.Abs(m) > math.MaxInt32 {
				a.overflow = true
				return
			}
			a.addMonths(int64(m))
		}
	}
	switch unit {
	case unitMicrosecond:
		a.addMicros(val)
		a.addMicros(int64(math.RoundToEven(frac)))
	case unitMillisecond:
		scaled(1000)
	case unitSecond:
		scaled(MicrosPerSecond)
	case unitMinute:
		scaled(MicrosPerMinute)
	case unitHour:
		scaled(MicrosPerHour)
	case unitDay:
		a.addDays(val)
		a.addFractMicros(frac, MicrosPerDay)
	case unitWeek:
		v, ok := mulInt64(val, 7)
		if !ok {
			a.overflow = true
			return
		}
		a.addDays(v)
		a.addFractDays(frac, 7)
	case unitMonth:
		a.addMonths(val)
		a.addFractDays(frac, 30)
	case unitYear:
		years(1)
	case unitDecade:
		years(10)
	case unitCentury:
		years(100)
	case unitMillennium:
		years(1000)
	}
}

// ParseInterval parses interval input: the postgres verbose format ("1
// day 2 hours", "@ 1 minute ago", "1 2:03:04", "1-2", "01:02:03"), and
// ISO 8601 durations ("P1Y2M3DT4H5M6S", "PT1.5S").
func ParseInterval(s string) (IntervalValue, error) {
	bad := func() (IntervalValue, error) {
		return IntervalValue{}, Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: \"%s\"", s)
	}
	in := strings.ToLower(strings.TrimSpace(s))
	if in == "" {
		return bad()
	}
	var acc intervalAcc
	var ok bool
	if in[0] == 'p' {
		ok = parseISOInterval(in, &acc)
	} else {
		ok = parseVerboseInterval(in, &acc)
	}
	if !ok {
		return bad()
	}
	if acc.overflow {
		return IntervalValue{}, Errorf(CodeIntervalFieldOverflow, "interval field value out of range: \"%s\"", s)
	}
	return IntervalValue{Months: int32(acc.months), Days: int32(acc.days), Micros: acc.micros}, nil
}

// ivField is one field of a verbose interval input.
type ivField struct {
	text   string
	isWord bool
}

// splitInterval splits verbose interval input into numbers (with sign,
// fraction, ':' and '-' inside) and words.
func splitInterval(s string) ([]ivField, bool) {
	var fields []ivField
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '@' || c == ',':
			i++
		case isDigit(c) || c == '.' || ((c == '+' || c == '-') && i+1 < len(s) && (isDigit(s[i+1]) || s[i+1] == '.')):
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == ':' || s[j] == '-') {
				j++
			}
			fields = append(fields, ivField{text: s[i:j]})
			i = j
		case isLetter(c):
			j := i + 1
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			fields = append(fields, ivField{text: s[i:j], isWord: true})
			i = j
		default:
			return nil, false
		}
	}
	return fields, true
}

// splitNumber parses [sign]digits[.digits] into an integer and a fraction
// carrying the same sign.
func splitNumber(s string) (val int64, frac float64, ok bool) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(s, ".")
	if intPart == "" && (!hasDot || fracPart == "") {
		return 0, 0, false
	}
	if intPart != "" {
		v, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		val = v
	}
	if hasDot && fracPart != "" {
		for i := 0; i < len(fracPart); i++ {
			if !isDigit(fracPart[i]) {
				return 0, 0, false
			}
		}
		f, err := strconv.ParseFloat("0."+fracPart, 64)
		if err != nil {
			return 0, 0, false
		}
		frac = f
	}
	if neg {
		val, frac = -val, -frac
	}
	return val, frac, true
}

func parseVerboseInterval(s string, acc *intervalAcc) bool {
	fields, ok := splitInterval(s)
	if !ok || len(fields) == 0 {
		return false
	}
	ago := false
	var used uint32 // units already given: Postgres rejects repeats
	use := func(mask uint32) bool {
		if used&mask != 0 {
			return false
		}
		used |= mask
		return true
	}
	// unit is Postgres's "type": set by a unit word, by a time field (a
	// bare number before 01:02:03 counts days) and by years-months; it
	// stays in force for earlier numbers, so "1 2" repeats seconds and is
	// rejected, like Postgres. A unit with no number is ignored.
	unit := unitNone
	sawValue := false
	// Postgres reads the fields backwards so that a unit applies to the
	// number before it.
	for i := len(fields) - 1; i >= 0; i-- {
		f := fields[i]
		if f.isWord {
			if f.text == "ago" {
				ago = true
				continue
			}
			u := intervalUnitOf(f.text)
			if u == unitNone {
				return false
			}
			unit = u
			continue
		}
		sawValue = true
		t := f.text
		if strings.IndexByte(t, ':') >= 0 {
			if !use(timeUnitsMask) {
				return false
			}
			if !parseIntervalTime(t, acc) {
				return false
			}
			unit = unitDay
			continue
		}
		if k := strings.IndexByte(t[1:], '-'); k >= 0 {
			// SQL years-months: 1-2.
			yearsText, monthsText := t[:k+1], t[k+2:]
			y, yf, ok1 := splitNumber(yearsText)
			m, err := strconv.ParseInt(monthsText, 10, 64)
			if !ok1 || yf != 0 || err != nil || m < 0 || !use(1<<unitMonth) {
				return false
			}
			if m >= 12 {
				acc.overflow = true
				return true
			}
			if t[0] == '-' {
				m = -m
			}
			acc.addUnit(unitYear, y, 0)
			acc.addMonths(m)
			unit = unitMonth
			continue
		}
		val, frac, ok := splitNumber(t)
		if !ok {
			return false
		}
		if i+1 < len(fields) && fields[i+1].isWord && fields[i+1].text == "ago" {
			// Postgres wants a unit between a number and "ago".
			return false
		}
		if unit == unitNone {
			unit = unitSecond
		}
		mask := uint32(1) << unit
		if unit == unitSecond && frac != 0 {
			mask |= 1<<unitMillisecond | 1<<unitMicrosecond
		}
		if !use(mask) {
			return false
		}
		acc.addUnit(unit, val, frac)
	}
	if !sawValue {
		return false
	}
	if ago {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
		if acc.micros == math.MinInt64 {
			acc.overflow = true
		}
	}
	return true
}

// timeUnitsMask is the set of units a time field (01:02:03) gives.
const timeUnitsMask = 1<<unitHour | 1<<unitMinute | 1<<unitSecond | 1<<unitMillisecond | 1<<unitMicrosecond

// parseIntervalTime parses [sign]H:MM[:SS[.frac]] with unbounded hours.
func parseIntervalTime(t string, acc *intervalAcc) bool {
	neg := false
	if t[0] == '+' || t[0] == '-' {
		neg = t[0] == '-'
		t = t[1:]
	}
	parts := strings.Split(t, ":")
	if len(parts) > 3 || strings.IndexByte(t, '-') >= 0 {
		return false
	}
	h, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return false
	}
	var us int64
	minText := parts[1]
	if len(parts) == 2 && strings.IndexByte(minText, '.') >= 0 {
		// MM:SS.frac: Postgres reads "1:02.5" as minutes and seconds.
		sec, frac, _ := strings.Cut(minText, ".")
		secs, ok1 := atoiDigits(sec)
		fr, ok2 := fractionMicros(frac)
		if !ok1 || !ok2 || h > math.MaxInt64/MicrosPerMinute {
			return false
		}
		if secs > 59 {
			acc.overflow = true
			return true
		}
		us = h*MicrosPerMinute + secs*MicrosPerSecond + fr
	} else {
		m, ok := atoiDigits(minText)
		if !ok {
			return false
		}
		if m > 59 {
			acc.overflow = true
			return true
		}
		var secs, fr int64
		if len(parts) == 3 {
			sec, frac, hasDot := strings.Cut(parts[2], ".")
			if secs, ok = atoiDigits(sec); !ok {
				return false
			}
			if secs > 60 {
				acc.overflow = true
				return true
			}
			if hasDot {
				if fr, ok = fractionMicros(frac); !ok {
					return false
				}
			}
		}
		hu, ok := mulInt64(h, MicrosPerHour)
		if !ok {
			acc.overflow = true
			return true
		}
		us = hu + m*MicrosPerMinute + secs*MicrosPerSecond + fr
		if us < 0 {
			acc.overflow = true
			return true
		}
	}
	if neg {
		us = -us
	}
	acc.addMicros(us)
	return true
}

// parseISOInterval parses P[nY][nM][nW][nD][T[nH][nM][nS]] and the
// alternative form PYYYY-MM-DDTHH:MM:SS.
func parseISOInterval(s string, acc *intervalAcc) bool {
	neg := false
	s = s[1:] // the 'p'
	if s == "" {
		return false
	}
	if len(s) >= 4 && isDigit(s[0]) && strings.IndexByte(s, '-') > 0 && !strings.ContainsAny(s, "ymwdhs") {
		return parseISOAlternative(s, acc, neg)
	}
	inTime := false
	for len(s) > 0 {
		if s[0] == 't' {
			if inTime {
				return false
			}
			inTime = true
			s = s[1:]
			continue
		}
		j := 0
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		for j < len(s) && (isDigit(s[j]) || s[j] == '.') {
			j++
		}
		if j == 0 || j >= len(s) {
			return false
		}
		val, frac, ok := splitNumber(s[:j])
		if !ok {
			return false
		}
		var unit intervalUnit
		switch s[j] {
		case 'y':
			unit = unitYear
		case 'm':
			unit = unitMonth
			if inTime {
				unit = unitMinute
			}
		case 'w':
			unit = unitWeek
		case 'd':
			unit = unitDay
		case 'h':
			unit = unitHour
		case 's':
			unit = unitSecond
		default:
			return false
		}
		if inTime != (unit == unitHour || unit == unitMinute || unit == unitSecond) {
			return false
		}
		acc.addUnit(unit, val, frac)
		s = s[j+1:]
	}
	if neg {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
	}
	return true
}

// parseISOAlternative parses YYYY-MM-DD[THH:MM:SS] after the P.
func parseISOAlternative(s string, acc *intervalAcc, neg bool) bool {
	datePart, timePart, hasTime := strings.Cut(s, "t")
	ymd := strings.Split(datePart, "-")
	if len(ymd) != 3 {
		return false
	}
	y, ok1 := atoiDigits(ymd[0])
	m, ok2 := atoiDigits(ymd[1])
	d, ok3 := atoiDigits(ymd[2])
	if !ok1 || !ok2 || !ok3 || m > 11 {
		return false
	}
	acc.addUnit(unitYear, y, 0)
	acc.addMonths(m)
	acc.addDays(d)
	if hasTime && !parseIntervalTime(timePart, acc) {
		return false
	}
	if neg {
		acc.months, acc.days, acc.micros = -acc.months, -acc.days, -acc.micros
	}
	return true
}

package types

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Time constants. Datums count from the Unix epoch; the Postgres binary
// format counts from 2000-01-01.
const (
	MicrosPerSecond = int64(1_000_000)
	MicrosPerMinute = 60 * MicrosPerSecond
	MicrosPerHour   = 60 * MicrosPerMinute
	MicrosPerDay    = 24 * MicrosPerHour

	// pgEpochDays is 2000-01-01 in days since 1970-01-01.
	pgEpochDays = int64(10957)
	// pgEpochMicros is 2000-01-01 00:00:00 in microseconds since 1970.
	pgEpochMicros = pgEpochDays * MicrosPerDay

	// Postgres date range: 4714-11-24 BC (Julian day 0) to 5874897-12-31.
	minDateDays = int64(-2440588)
	maxDateDays = int64(2145042905)
	// Postgres timestamps start at 4714-11-24 BC. They end in 294276 AD,
	// which is past the int64 range of microseconds since 1970, so ours end
	// in 292277 AD, one day short of the int64 limit (kept for infinity).
	minTimestampMicros = minDateDays * MicrosPerDay
	maxTimestampDays   = int64(math.MaxInt64/MicrosPerDay) - 1
	maxTimestampMicros = (maxTimestampDays+1)*MicrosPerDay - 1
)

// Infinite date and timestamp values.
const (
	NegInfinity = math.MinInt64
	PosInfinity = math.MaxInt64
)

// DateToTime returns midnight UTC of the date days (since 1970-01-01).
func DateToTime(days int64) time.Time {
	return time.Unix(days*86400, 0).UTC()
}

// TimeToDate returns the date of t's wall clock in its location, as days
// since 1970-01-01.
func TimeToDate(t time.Time) int64 {
	y, m, d := t.Date()
	return daysFromCivil(int64(y), int64(m), int64(d))
}

// TimestampFromTime returns t as microseconds since the Unix epoch.
func TimestampFromTime(t time.Time) int64 {
	return t.Unix()*MicrosPerSecond + int64(t.Nanosecond()/1000)
}

// TimeFromTimestamp returns the UTC time of us microseconds since the Unix
// epoch.
func TimeFromTimestamp(us int64) time.Time {
	return time.Unix(floorDiv(us, MicrosPerSecond), floorMod(us, MicrosPerSecond)*1000).UTC()
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// daysFromCivil converts a proleptic Gregorian date (astronomical year: 0
// is 1 BC) to days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func appendPadded(buf []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		buf = append(buf, '0')
	}
	return append(buf, s...)
}

// appendYMD appends YYYY-MM-DD and reports whether the year is BC (the
// caller appends " BC" after whatever follows).
func appendYMD(buf []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	buf = appendPadded(buf, y, 4)
	buf = append(buf, '-')
	buf = appendPadded(buf, m, 2)
	buf = append(buf, '-')
	buf = appendPadded(buf, d, 2)
	return buf, bc
}

// AppendDate appends a date in DateStyle ISO: 2024-01-31, 0044-03-15 BC,
// infinity, -infinity.
func AppendDate(buf []byte, days int64) []byte {
	switch days {
	case NegInfinity:
		return append(buf, "-infinity"...)
	case PosInfinity:
		return append(buf, "infinity"...)
	}
	buf, bc := appendYMD(buf, days)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendTimeOfDay appends HH:MM:SS[.ffffff] (trailing zeros of the fraction
// dropped) for us microseconds since midnight.
func AppendTimeOfDay(buf []byte, us int64) []byte {
	if us < 0 {
		buf = append(buf, '-')
		us = -us
	}
	buf = appendPadded(buf, us/MicrosPerHour, 2)
	buf = append(buf, ':')
	buf = appendPadded(buf, us/MicrosPerMinute%60, 2)
	buf = append(buf, ':')
	return appendSeconds(buf, us%MicrosPerMinute)
}

// appendSeconds appends SS[.ffffff] for us < one minute (non-negative).
func appendSeconds(buf []byte, us int64) []byte {
	buf = appendPadded(buf, us/MicrosPerSecond, 2)
	frac := us % MicrosPerSecond
	if frac == 0 {
		return buf
	}
	digits := 6
	for frac%10 == 0 {
		frac /= 10
		digits--
	}
	buf = append(buf, '.')
	return appendPadded(buf, frac, digits)
}

// AppendTimestamp appends a timestamp without time zone: 2024-01-31
// 13:45:00[.ffffff][ BC].
func AppendTimestamp(buf []byte, us int64) []byte {
	switch us {
	case NegInfinity:
		return append(buf, "-infinity"...)
	case PosInfinity:
		return append(buf, "infinity"...)
	}
	days := floorDiv(us, MicrosPerDay)
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = AppendTimeOfDay(buf, us-days*MicrosPerDay)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// AppendTimestampTZ appends a timestamp with time zone as seen in loc:
// 2024-01-31 13:45:00+00, +05:30, -03:30:45 for odd historical offsets.
func AppendTimestampTZ(buf []byte, us int64, loc *time.Location) []byte {
	switch us {
	case NegInfinity:
		return append(buf, "-infinity"...)
	case PosInfinity:
		return append(buf, "infinity"...)
	}
	offset := 0
	if loc != nil && loc != time.UTC {
		_, offset = TimeFromTimestamp(us).In(loc).Zone()
	}
	local := us + int64(offset)*MicrosPerSecond
	days := floorDiv(local, MicrosPerDay)
	buf, bc := appendYMD(buf, days)
	buf = append(buf, ' ')
	buf = AppendTimeOfDay(buf, local-days*MicrosPerDay)
	buf = appendZoneOffset(buf, offset)
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

// appendZoneOffset appends +HH[:MM[:SS]].
func appendZoneOffset(buf []byte, offset int) []byte {
	if offset < 0 {
		buf = append(buf, '-')
		offset = -offset
	} else {
		buf = append(buf, '+')
	}
	buf = appendPadded(buf, int64(offset/3600), 2)
	if rem := offset % 3600; rem != 0 {
		buf = append(buf, ':')
		buf = appendPadded(buf, int64(rem/60), 2)
		if rem%60 != 0 {
			buf = append(buf, ':')
			buf = appendPadded(buf, int64(rem%60), 2)
		}
	}
	return buf
}

// dtKind tells what a date/time input field looks like.
type dtKind uint8

const (
	dtNumber dtKind = iota // digits, maybe with a fraction
	dtDate                 // digits or month names joined by - / .
	dtTime                 // HH:MM[:SS[.frac]]
	dtZone                 // +HH[:MM], -HHMM
	dtWord                 // letters: month, weekday, zone, am/pm, special words
)

type dtField struct {
	kind dtKind
	text string // as written (zone names are case-sensitive for LoadLocation)
}

// dtParsed is what decodeDateTime extracts from an input.
type dtParsed struct {
	special string // epoch, infinity, -infinity, now, today, tomorrow, yesterday, allballs

	hasDate          bool
	year, month, day int64
	yearDigits       int // years written with 1 or 2 digits mean 1970-2069
	bc               bool

	hasTime        bool
	hour, min, sec int64
	usec           int64
	ampm           int // 0 none, 1 am, 2 pm

	hasZone  bool
	zoneSecs int            // seconds east of UTC, when zoneLoc is nil
	zoneLoc  *time.Location // a named zone
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// splitDateTime splits a date/time input into fields, in the manner of
// Postgres's ParseDateTime.
func splitDateTime(s string) ([]dtField, bool) {
	var fields []dtField
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			i++
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			if j < len(s) && s[j] == ':' {
				for j < len(s) && (isDigit(s[j]) || s[j] == ':' || s[j] == '.') {
					j++
				}
				fields = append(fields, dtField{dtTime, s[i:j]})
			} else if j < len(s) && (s[j] == '-' || s[j] == '/') || (j+1 < len(s) && s[j] == '.' && hasSecondDot(s[j+1:])) {
				delim := s[j]
				for j < len(s) && (isDigit(s[j]) || s[j] == delim || isLetter(s[j]) && (s[j-1] == delim || isLetter(s[j-1]))) {
					j++
				}
				fields = append(fields, dtField{dtDate, s[i:j]})
			} else {
				if j < len(s) && s[j] == '.' {
					j++
					for j < len(s) && isDigit(s[j]) {
						j++
					}
				}
				fields = append(fields, dtField{dtNumber, s[i:j]})
			}
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && (isLetter(s[j]) || s[j] == '/' || s[j] == '_' || (j > i && isDigit(s[j]) && strings.IndexByte(s[i:j], '/') >= 0)) {
				j++
			}
			if j < len(s) && isDigit(s[j]) && strings.IndexByte(s[i:j], '/') < 0 {
				// POSIX zone names such as EST5EDT.
				k := j
				for k < len(s) && isDigit(s[k]) {
					k++
				}
				if k < len(s) && isLetter(s[k]) {
					for k < len(s) && isLetter(s[k]) {
						k++
					}
					j = k
				}
			}
			word := s[i:j]
			if (word == "T" || word == "t") && j < len(s) && isDigit(s[j]) {
				// The ISO 8601 separator between date and time.
				i = j
				continue
			}
			if j < len(s) && (s[j] == '-' || s[j] == '.' || s[j] == '/') && j+1 < len(s) && (isDigit(s[j+1]) || isLetter(s[j+1])) && monthNumber(strings.ToLower(word)) > 0 {
				delim := s[j]
				for j < len(s) && (isDigit(s[j]) || isLetter(s[j]) || s[j] == delim) {
					j++
				}
				fields = append(fields, dtField{dtDate, s[i:j]})
				i = j
				continue
			}
			fields = append(fields, dtField{dtWord, word})
			i = j
		case c == '+' || c == '-':
			j := i + 1
			if j < len(s) && isDigit(s[j]) {
				for j < len(s) && (isDigit(s[j]) || s[j] == ':' || s[j] == '.') {
					j++
				}
				fields = append(fields, dtField{dtZone, s[i:j]})
			} else if j < len(s) && isLetter(s[j]) {
				for j < len(s) && isLetter(s[j]) {
					j++
				}
				fields = append(fields, dtField{dtWord, s[i:j]})
			} else {
				return nil, false
			}
			i = j
		default:
			return nil, false
		}
	}
	return fields, true
}

// hasSecondDot reports whether s (after a first '.') is digits followed by
// another '.', as in 31.01.2024.
func hasSecondDot(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i > 0 && i < len(s) && s[i] == '.'
}

var monthNames = [...]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
var fullMonthNames = [...]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// monthNumber returns 1-12 for an English month name or abbreviation
// (lowercase), 0 otherwise.
func monthNumber(w string) int64 {
	for i := range monthNames {
		if w == monthNames[i] || w == fullMonthNames[i] {
			return int64(i + 1)
		}
	}
	if w == "sept" {
		return 9
	}
	return 0
}

func isWeekday(w string) bool {
	switch w {
	case "sun", "mon", "tue", "tues", "wed", "wednes", "thu", "thur", "thurs", "fri", "sat",
		"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday":
		return true
	}
	return false
}

// zoneAbbrevs holds the common entries of Postgres's default
// timezone_abbreviations set, in seconds east of UTC.
var zoneAbbrevs = map[string]int{
	"utc": 0, "gmt": 0, "z": 0, "zulu": 0, "ut": 0, "wet": 0, "west": 3600,
	"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600, "ast": -4 * 3600, "adt": -3 * 3600,
	"nst": -(3*3600 + 1800), "ndt": -(2*3600 + 1800),
	"cet": 3600, "cest": 7200, "met": 3600, "mest": 7200, "eet": 7200, "eest": 3 * 3600,
	"bst": 3600, "msk": 3 * 3600, "ist": 7200, "jst": 9 * 3600, "kst": 9 * 3600,
	"hkt": 8 * 3600, "sgt": 8 * 3600, "awst": 8 * 3600, "acst": 9*3600 + 1800,
	"aest": 10 * 3600, "aedt": 11 * 3600, "nzst": 12 * 3600, "nzdt": 13 * 3600,
}

// LoadZone resolves a time zone as Postgres's SET TIME ZONE and AT TIME
// ZONE do: a plain number is hours east of UTC ("-8", "5.5"); an IANA
// name matches case-insensitively ("america/new_york", "EST5EDT"); a POSIX
// offset, with or without a name, counts hours WEST of UTC ("+05:30" and
// "UTC+5" are behind UTC); common abbreviations (PST, CET) are accepted.
func LoadZone(name string) (*time.Location, error) {
	trimmed := strings.TrimSpace(name)
	lower := strings.ToLower(trimmed)
	if lower == "utc" || lower == "gmt" || lower == "z" || lower == "zulu" {
		return time.UTC, nil
	}
	if hours, err := strconv.ParseFloat(trimmed, 64); err == nil && !strings.ContainsAny(lower, "xpn_") {
		if hours < -15.99 || hours > 15.99 {
			return nil, Errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", name)
		}
		return time.FixedZone("", int(math.Round(hours*3600))), nil
	}
	if loc, ok := loadNamedZone(trimmed); ok {
		return loc, nil
	}
	// POSIX: an optional abbreviation, then an offset west of UTC.
	i := 0
	for i < len(trimmed) && isLetter(trimmed[i]) {
		i++
	}
	if i == 0 || i >= 3 {
		if off, ok := parseZoneOffset(trimmed[i:]); ok {
			return time.FixedZone(trimmed, -off), nil
		}
	}
	if off, ok := zoneAbbrevs[lower]; ok {
		return time.FixedZone(strings.ToUpper(lower), off), nil
	}
	return nil, Errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", name)
}

// loadNamedZone loads an IANA zone, trying the name as written and then
// with each word capitalised, since Postgres matches zone names
// case-insensitively.
func loadNamedZone(name string) (*time.Location, bool) {
	if name == "" || strings.ContainsAny(name, " .\\") || strings.HasPrefix(name, "/") {
		return nil, false
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "Local" {
		return loc, true
	}
	b := []byte(strings.ToLower(name))
	upper := true
	for i, c := range b {
		if upper && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		upper = c == '/' || c == '_' || c == '-'
	}
	etc := string(b)
	if slash := strings.IndexByte(etc, '/'); slash >= 0 {
		// Etc/GMT+5: capitalised area, upper-case rest.
		etc = etc[:slash+1] + strings.ToUpper(etc[slash+1:])
	}
	for _, cand := range []string{string(b), strings.ToUpper(name), etc} {
		if loc, err := time.LoadLocation(cand); err == nil && cand != "Local" {
			return loc, true
		}
	}
	return nil, false
}

// parseZoneOffset parses +HH, +HHMM, +HH:MM, +HH:MM:SS (seconds east),
// at most 15 hours away from UTC.
func parseZoneOffset(s string) (int, bool) {
	off, ok := parseZoneOffsetUnbounded(s)
	if !ok || off > 15*3600+59*60+59 || off < -(15*3600+59*60+59) {
		return 0, false
	}
	return off, true
}

// parseZoneOffsetUnbounded is parseZoneOffset without the range check.
func parseZoneOffsetUnbounded(s string) (int, bool) {
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	body := s[1:]
	var h, m, sec int64
	var ok bool
	if strings.IndexByte(body, ':') >= 0 {
		parts := strings.Split(body, ":")
		if len(parts) > 3 {
			return 0, false
		}
		vals := [3]int64{}
		for i, p := range parts {
			if vals[i], ok = atoiDigits(p); !ok {
				return 0, false
			}
		}
		h, m, sec = vals[0], vals[1], vals[2]
	} else {
		v, ok := atoiDigits(body)
		if !ok {
			return 0, false
		}
		switch len(body) {
		case 1, 2:
			h = v
		case 3, 4:
			h, m = v/100, v%100
		case 5, 6:
			h, m, sec = v/10000, v/100%100, v%100
		default:
			return 0, false
		}
	}
	if h > 99 || m > 59 || sec > 59 {
		return 0, false
	}
	return sign * int(h*3600+m*60+sec), true
}

func isAllDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// atoiDigits parses a non-empty run of decimal digits (at most 18).
func atoiDigits(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v, true
}

// dtError is the reason decodeDateTime failed; the caller words the message
// with the type name and input.
type dtError uint8

const (
	dtOK dtError = iota
	dtBadSyntax
	dtFieldRange
	dtBadZone
	dtZoneRange
)

// decodeDateTime extracts date, time and zone from the fields of s.
func decodeDateTime(s string) (dtParsed, dtError, string) {
	var p dtParsed
	fields, ok := splitDateTime(s)
	if !ok || len(fields) == 0 {
		return p, dtBadSyntax, ""
	}
	monthFromName := false
	var pendingNumbers []string
	for _, f := range fields {
		switch f.kind {
		case dtWord:
			w := strings.ToLower(f.text)
			switch w {
			case "epoch", "infinity", "+infinity", "-infinity", "now", "today", "tomorrow", "yesterday", "allballs":
				if p.special != "" {
					return p, dtBadSyntax, ""
				}
				p.special = strings.TrimPrefix(w, "+")
				continue
			case "am", "a.m", "pm", "p.m":
				if p.ampm != 0 {
					return p, dtBadSyntax, ""
				}
				p.ampm = 1
				if w[0] == 'p' {
					p.ampm = 2
				}
				continue
			case "bc":
				if p.bc {
					return p, dtBadSyntax, ""
				}
				p.bc = true
				continue
			case "ad", "t":
				continue
			}
			if m := monthNumber(w); m > 0 && !p.hasDate {
				if p.month != 0 {
					return p, dtBadSyntax, ""
				}
				p.month = m
				monthFromName = true
				continue
			}
			if isWeekday(w) {
				continue
			}
			if p.hasZone {
				return p, dtBadSyntax, ""
			}
			if off, ok := zoneAbbrevs[w]; ok {
				p.hasZone, p.zoneSecs = true, off
				continue
			}
			loc, ok := loadNamedZone(f.text)
			if !ok {
				if strings.IndexByte(w, '/') >= 0 {
					return p, dtBadZone, w
				}
				return p, dtBadSyntax, ""
			}
			p.hasZone, p.zoneLoc = true, loc
		case dtDate:
			if p.hasDate || monthFromName {
				return p, dtBadSyntax, ""
			}
			if e := decodeDateField(&p, f.text); e != dtOK {
				return p, e, ""
			}
		case dtTime:
			if p.hasTime {
				return p, dtBadSyntax, ""
			}
			if e := decodeTimeField(&p, f.text); e != dtOK {
				return p, e, ""
			}
		case dtZone:
			if p.hasZone {
				return p, dtBadSyntax, ""
			}
			off, ok := parseZoneOffset(f.text)
			if !ok {
				if _, ok := parseZoneOffsetUnbounded(f.text); ok {
					return p, dtZoneRange, ""
				}
				return p, dtBadSyntax, ""
			}
			p.hasZone, p.zoneSecs = true, off
		case dtNumber:
			if strings.IndexByte(f.text, '.') >= 0 {
				return p, dtBadSyntax, ""
			}
			switch {
			case !p.hasDate && !monthFromName && len(f.text) == 8:
				v, _ := atoiDigits(f.text)
				p.hasDate, p.year, p.month, p.day = true, v/10000, v/100%100, v%100
				p.yearDigits = 4
			case !p.hasDate && !monthFromName && len(f.text) == 6 && len(pendingNumbers) == 0:
				v, _ := atoiDigits(f.text)
				p.hasDate, p.year, p.month, p.day = true, v/10000, v/100%100, v%100
				p.yearDigits = 2
			case p.hasDate && !p.hasTime && (len(f.text) == 6 || len(f.text) == 4):
				v, _ := atoiDigits(f.text)
				p.hasTime = true
				if len(f.text) == 6 {
					p.hour, p.min, p.sec = v/10000, v/100%100, v%100
				} else {
					p.hour, p.min = v/100, v%100
				}
			default:
				pendingNumbers = append(pendingNumbers, f.text)
			}
		}
	}
	if len(pendingNumbers) > 0 {
		if !monthFromName || p.hasDate {
			return p, dtBadSyntax, ""
		}
		for _, n := range pendingNumbers {
			v, ok := atoiDigits(n)
			if !ok {
				return p, dtBadSyntax, ""
			}
			switch {
			case p.day == 0 && len(n) <= 2:
				p.day = v
			case p.year == 0 && !p.hasDate:
				p.year, p.yearDigits = v, len(n)
				p.hasDate = true
			default:
				return p, dtBadSyntax, ""
			}
		}
	}
	if monthFromName {
		if p.day == 0 || !p.hasDate {
			return p, dtBadSyntax, ""
		}
	}
	if p.special != "" {
		if p.hasDate && p.special != "today" && p.special != "tomorrow" && p.special != "yesterday" {
			return p, dtBadSyntax, ""
		}
		return p, dtOK, ""
	}
	if p.hasDate {
		switch {
		case p.bc:
			if p.year <= 0 {
				return p, dtFieldRange, ""
			}
			p.year = 1 - p.year
		case p.yearDigits <= 2:
			p.year = adjustTwoDigitYear(p.year, p.yearDigits)
		case p.year == 0:
			return p, dtFieldRange, ""
		}
		if p.month < 1 || p.month > 12 || p.day < 1 || p.day > daysInMonth(p.year, p.month) {
			return p, dtFieldRange, ""
		}
	}
	if p.hasTime {
		switch p.ampm {
		case 1:
			if p.hour > 12 {
				return p, dtFieldRange, ""
			}
			if p.hour == 12 {
				p.hour = 0
			}
		case 2:
			if p.hour > 12 {
				return p, dtFieldRange, ""
			}
			if p.hour != 12 {
				p.hour += 12
			}
		}
		if p.hour > 24 || p.min > 59 || p.sec > 60 || (p.hour == 24 && (p.min > 0 || p.sec > 0 || p.usec > 0)) {
			return p, dtFieldRange, ""
		}
	} else if p.ampm != 0 {
		return p, dtBadSyntax, ""
	}
	return p, dtOK, ""
}

// adjustTwoDigitYear maps a year written with one or two digits to
// 1970-2069, as Postgres does.
func adjustTwoDigitYear(y int64, digits int) int64 {
	if digits > 2 {
		return y
	}
	if y < 70 {
		return y + 2000
	}
	return y + 1900
}

// decodeDateField decodes 2024-01-31, 01/31/2024 (MDY), 31-jan-2024,
// jan-31-2024, 2024-jan-31, 31.01.2024.
func decodeDateField(p *dtParsed, s string) dtError {
	delim := byte(0)
	for i := 0; i < len(s); i++ {
		if s[i] == '-' || s[i] == '/' || s[i] == '.' {
			delim = s[i]
			break
		}
	}
	parts := strings.Split(s, string(delim))
	if len(parts) != 3 {
		return dtBadSyntax
	}
	monthAt := -1
	for i, part := range parts {
		if part == "" {
			return dtBadSyntax
		}
		if isLetter(part[0]) {
			m := monthNumber(strings.ToLower(part))
			if m == 0 || monthAt >= 0 {
				return dtBadSyntax
			}
			monthAt = i
			p.month = m
		}
	}
	num := func(i int) (int64, bool) { return atoiDigits(parts[i]) }
	var y, m, d int64
	var ok1, ok2, ok3 bool
	yearIdx := -1
	switch {
	case monthAt == 0: // jan-31-2024
		m, ok1 = p.month, true
		d, ok2 = num(1)
		y, ok3 = num(2)
		yearIdx = 2
	case monthAt == 1: // 31-jan-2024 or 2024-jan-31
		m, ok2 = p.month, true
		if len(parts[0]) > 2 {
			y, ok1 = num(0)
			d, ok3 = num(2)
			yearIdx = 0
		} else {
			d, ok1 = num(0)
			y, ok3 = num(2)
			yearIdx = 2
		}
	case monthAt == 2:
		return dtBadSyntax
	case len(parts[0]) > 2: // ISO year first
		y, ok1 = num(0)
		m, ok2 = num(1)
		d, ok3 = num(2)
		yearIdx = 0
	default: // DateStyle MDY
		m, ok1 = num(0)
		d, ok2 = num(1)
		y, ok3 = num(2)
		yearIdx = 2
	}
	if !ok1 || !ok2 || !ok3 {
		return dtBadSyntax
	}
	p.year, p.yearDigits = y, len(parts[yearIdx])
	p.month, p.day = m, d
	p.hasDate = true
	return dtOK
}

// decodeTimeField decodes HH:MM[:SS[.frac]] (and MM:SS.frac is not
// supported: Postgres reads two fields as hours and minutes).
func decodeTimeField(p *dtParsed, s string) dtError {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return dtBadSyntax
	}
	var ok bool
	if p.hour, ok = atoiDigits(parts[0]); !ok {
		return dtBadSyntax
	}
	minPart := parts[1]
	if len(parts) == 2 && strings.IndexByte(minPart, '.') >= 0 {
		// MM:SS.frac: Postgres reads "01:02.5" as minutes and seconds.
		secs, frac, _ := strings.Cut(minPart, ".")
		p.min = p.hour
		p.hour = 0
		if p.sec, ok = atoiDigits(secs); !ok {
			return dtBadSyntax
		}
		us, ok := fractionMicros(frac)
		if !ok {
			return dtBadSyntax
		}
		p.usec = us
		p.hasTime = true
		return dtOK
	}
	if p.min, ok = atoiDigits(minPart); !ok {
		return dtBadSyntax
	}
	if len(parts) == 3 {
		secs, frac, _ := strings.Cut(parts[2], ".")
		if p.sec, ok = atoiDigits(secs); !ok {
			return dtBadSyntax
		}
		if strings.IndexByte(parts[2], '.') >= 0 {
			us, ok := fractionMicros(frac)
			if !ok {
				return dtBadSyntax
			}
			p.usec = us
		}
	}
	p.hasTime = true
	return dtOK
}

// fractionMicros converts the digits after a decimal point to microseconds,
// rounding half up beyond the sixth digit like Postgres.
func fractionMicros(frac string) (int64, bool) {
	var us int64
	for i := 0; i < 6; i++ {
		us *= 10
		if i < len(frac) {
			if !isDigit(frac[i]) {
				return 0, false
			}
			us += int64(frac[i] - '0')
		}
	}
	for i := 6; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return 0, false
		}
	}
	if len(frac) > 6 && frac[6] >= '5' {
		us++
	}
	return us, true
}

func dtErr(e dtError, typeName, input, zone string) error {
	switch e {
	case dtFieldRange:
		return Errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", input)
	case dtBadZone:
		return Errorf(CodeInvalidParameterValue, "time zone \"%s\" not recognized", zone)
	case dtZoneRange:
		return Errorf(CodeInvalidTimeZoneDisplacement, "time zone displacement out of range: \"%s\"", input)
	}
	return Errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type %s: \"%s\"", typeName, input)
}

// nowIn returns the current time's wall clock in loc as microseconds since
// 1970 (local), and the instant as microseconds since 1970 UTC.
func nowIn(loc *time.Location) (local, instant int64) {
	now := time.Now().In(loc)
	_, off := now.Zone()
	instant = TimestampFromTime(now)
	return instant + int64(off)*MicrosPerSecond, instant
}

// ParseDate parses date input (ISO, MDY, month names, BC, epoch, infinity,
// today, now...). loc is the session time zone for today/now.
func ParseDate(s string, loc *time.Location) (int64, error) {
	p, e, zone := decodeDateTime(s)
	if e != dtOK {
		return 0, dtErr(e, "date", s, zone)
	}
	if loc == nil {
		loc = time.UTC
	}
	switch p.special {
	case "epoch":
		return 0, nil
	case "infinity":
		return PosInfinity, nil
	case "-infinity":
		return NegInfinity, nil
	case "now", "today", "tomorrow", "yesterday":
		local, _ := nowIn(loc)
		days := floorDiv(local, MicrosPerDay)
		switch p.special {
		case "tomorrow":
			days++
		case "yesterday":
			days--
		}
		return days, nil
	case "allballs":
		return 0, dtErr(dtBadSyntax, "date", s, "")
	}
	if !p.hasDate {
		return 0, dtErr(dtBadSyntax, "date", s, "")
	}
	if p.year > 6000000 || p.year < -6000000 {
		return 0, Errorf(CodeDatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	days := daysFromCivil(p.year, p.month, p.day)
	if days < minDateDays || days > maxDateDays {
		return 0, Errorf(CodeDatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	return days, nil
}

// ParseTimeOfDay parses time without time zone input (a date or zone in
// the input is ignored, as Postgres does). 24:00:00 is allowed. loc is the
// session time zone, for 'now'.
func ParseTimeOfDay(s string, loc *time.Location) (int64, error) {
	if t := strings.TrimSpace(s); (len(t) == 6 || len(t) == 4) && isAllDigits(t) {
		// HHMMSS or HHMM.
		v, _ := atoiDigits(t)
		if len(t) == 4 {
			v *= 100
		}
		h, m, sec := v/10000, v/100%100, v%100
		if h > 24 || m > 59 || sec > 60 || (h == 24 && (m > 0 || sec > 0)) {
			return 0, dtErr(dtFieldRange, "time", s, "")
		}
		return ((h*60+m)*60 + sec) * MicrosPerSecond, nil
	}
	p, e, zone := decodeDateTime(s)
	if e != dtOK {
		return 0, dtErr(e, "time", s, zone)
	}
	switch p.special {
	case "allballs":
		return 0, nil
	case "now":
		if loc == nil {
			loc = time.UTC
		}
		local, _ := nowIn(loc)
		return floorMod(local, MicrosPerDay), nil
	case "":
	default:
		return 0, dtErr(dtBadSyntax, "time", s, "")
	}
	if !p.hasTime {
		return 0, dtErr(dtBadSyntax, "time", s, "")
	}
	us := ((p.hour*60+p.min)*60+p.sec)*MicrosPerSecond + p.usec
	if us > MicrosPerDay {
		return 0, dtErr(dtFieldRange, "", s, "")
	}
	return us, nil
}

// localMicros is the wall-clock time of p in microseconds since 1970; ok
// is false when it is outside the timestamp range.
func (p *dtParsed) localMicros() (int64, bool) {
	if p.year > 300000 || p.year < -300000 {
		return 0, false
	}
	days := daysFromCivil(p.year, p.month, p.day)
	if days < minDateDays || days > maxTimestampDays {
		return 0, false
	}
	return days*MicrosPerDay + ((p.hour*60+p.min)*60+p.sec)*MicrosPerSecond + p.usec, true
}

// ParseTimestamp parses timestamp without time zone input; a zone in the
// input is ignored, as Postgres does.
func ParseTimestamp(s string, loc *time.Location) (int64, error) {
	const name = "timestamp"
	p, e, zone := decodeDateTime(s)
	if e != dtOK {
		return 0, dtErr(e, name, s, zone)
	}
	if loc == nil {
		loc = time.UTC
	}
	if us, ok, err := specialTimestamp(&p, loc, false, name, s); ok || err != nil {
		return us, err
	}
	if !p.hasDate {
		return 0, dtErr(dtBadSyntax, name, s, "")
	}
	us, ok := p.localMicros()
	if !ok || us < minTimestampMicros || us > maxTimestampMicros {
		return 0, Errorf(CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	return us, nil
}

// ParseTimestampTZ parses timestamp with time zone input; without a zone
// in the input the time is read in loc.
func ParseTimestampTZ(s string, loc *time.Location) (int64, error) {
	const name = "timestamp with time zone"
	p, e, zone := decodeDateTime(s)
	if e != dtOK {
		return 0, dtErr(e, name, s, zone)
	}
	if loc == nil {
		loc = time.UTC
	}
	if us, ok, err := specialTimestamp(&p, loc, true, name, s); ok || err != nil {
		return us, err
	}
	if !p.hasDate {
		return 0, dtErr(dtBadSyntax, name, s, "")
	}
	local, ok := p.localMicros()
	if !ok {
		return 0, Errorf(CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	var us int64
	switch {
	case p.hasZone && p.zoneLoc == nil:
		us = local - int64(p.zoneSecs)*MicrosPerSecond
	case p.hasZone:
		us = localToUTC(local, p.zoneLoc)
	default:
		us = localToUTC(local, loc)
	}
	if us < minTimestampMicros || us > maxTimestampMicros {
		return 0, Errorf(CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", s)
	}
	return us, nil
}

// localToUTC converts a wall-clock time in loc to an instant.
func localToUTC(local int64, loc *time.Location) int64 {
	if loc == time.UTC {
		return local
	}
	localSecs := floorDiv(local, MicrosPerSecond)
	frac := local - localSecs*MicrosPerSecond
	offsetAt := func(unix int64) int64 {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return int64(off)
	}
	before := offsetAt(localSecs - 86400)
	after := offsetAt(localSecs + 86400)
	if before == after {
		// No transition nearby (the common case); check the exact
		// instant in case of two transitions within two days.
		u := localSecs - before
		if offsetAt(u) == before {
			return u*MicrosPerSecond + frac
		}
		after = offsetAt(u)
	}
	u1, u2 := localSecs-before, localSecs-after
	ok1, ok2 := offsetAt(u1) == before, offsetAt(u2) == after
	switch {
	case ok1 && !ok2:
		return u1*MicrosPerSecond + frac
	case ok2 && !ok1:
		return u2*MicrosPerSecond + frac
	}
	// A skipped (spring forward) or repeated (fall back) wall-clock time:
	// Postgres takes the later instant, i.e. standard time in both cases.
	return max(u1, u2)*MicrosPerSecond + frac
}

// specialTimestamp handles epoch, infinity, now, today... for timestamps.
func specialTimestamp(p *dtParsed, loc *time.Location, tz bool, name, s string) (int64, bool, error) {
	switch p.special {
	case "":
		return 0, false, nil
	case "epoch":
		return 0, true, nil
	case "infinity":
		return PosInfinity, true, nil
	case "-infinity":
		return NegInfinity, true, nil
	case "now":
		local, instant := nowIn(loc)
		if tz {
			return instant, true, nil
		}
		return local, true, nil
	case "today", "tomorrow", "yesterday":
		local, _ := nowIn(loc)
		days := floorDiv(local, MicrosPerDay)
		if p.special == "tomorrow" {
			days++
		} else if p.special == "yesterday" {
			days--
		}
		us := days * MicrosPerDay
		if p.hasTime {
			us += ((p.hour*60+p.min)*60+p.sec)*MicrosPerSecond + p.usec
		}
		if tz {
			if p.hasZone && p.zoneLoc == nil {
				return us - int64(p.zoneSecs)*MicrosPerSecond, true, nil
			}
			if p.hasZone {
				loc = p.zoneLoc
			}
			return localToUTC(us, loc), true, nil
		}
		return us, true, nil
	}
	return 0, false, dtErr(dtBadSyntax, name, s, "")
}

package builtins

import (
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/streamdb/streamdb/sql/types"
)

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
	dayNames   = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	romanMonth = []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"}
)

// dateTemplates lists the datetime template patterns, longest first so that
// "HH24" wins over "HH" and "MONTH" over "MON".
var dateTemplates = []string{
	"A.D.", "a.d.", "B.C.", "b.c.", "A.M.", "a.m.", "P.M.", "p.m.",
	"Y,YYY", "HH24", "HH12", "YYYY", "IYYY", "MONTH", "Month", "month", "SSSSS", "SSSS",
	"FF1", "FF2", "FF3", "FF4", "FF5", "FF6", "TZH", "TZM",
	"YYY", "IYY", "MON", "Mon", "mon", "DAY", "Day", "day", "DDD", "IDDD",
	"HH", "MI", "SS", "MS", "US", "AM", "am", "PM", "pm", "AD", "ad", "BC", "bc",
	"YY", "IY", "MM", "DY", "Dy", "dy", "DD", "ID", "IW", "WW", "CC", "TZ", "tz", "OF", "RM", "rm",
	"Y", "I", "D", "W", "Q", "J",
}

func matchTemplate(f string) string {
	if f == "" {
		return ""
	}
	for _, t := range dateTemplatesByFirst[f[0]] {
		if strings.HasPrefix(f, t) {
			return t
		}
	}
	return ""
}

// dateTemplatesByFirst is dateTemplates by first byte (same order), so
// that matching a template tries a few candidates, not all of them: to_char
// runs once per row in views such as Nexmark q17. Read-only after init.
var dateTemplatesByFirst = func() (idx [256][]string) {
	for _, t := range dateTemplates {
		idx[t[0]] = append(idx[t[0]], t)
	}
	return idx
}()

// dtFields is what to_char prints from.
type dtFields struct {
	c        civil
	interval bool
	hours    int64 // total hours for intervals
	tzAbbrev string
	tzOffset int // seconds east of UTC
	hasTZ    bool
}

func pad(v int64, width int, fm bool) string {
	s := strconv.FormatInt(abs64(v), 10)
	if !fm && len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	if v < 0 {
		return "-" + s
	}
	return s
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func ordinal(n int64) string {
	if n%100 >= 11 && n%100 <= 13 {
		return "th"
	}
	switch n % 10 {
	case 1:
		return "st"
	case 2:
		return "nd"
	case 3:
		return "rd"
	}
	return "th"
}

func caseLike(tmpl, s string) string {
	switch {
	case tmpl == strings.ToUpper(tmpl):
		return strings.ToUpper(s)
	case tmpl == strings.ToLower(tmpl):
		return strings.ToLower(s)
	}
	return s
}

// toCharDatetime formats a timestamp's fields with a to_char template.
func toCharDatetime(f dtFields, format string) string {
	var sb strings.Builder
	c := f.c
	for i := 0; i < len(format); {
		fm := false
		if strings.HasPrefix(format[i:], "FM") || strings.HasPrefix(format[i:], "fm") {
			fm = true
			i += 2
		}
		if strings.HasPrefix(format[i:], "FX") || strings.HasPrefix(format[i:], "fx") {
			i += 2
			continue
		}
		if format[i] == '"' {
			j := i + 1
			for j < len(format) && format[j] != '"' {
				if format[j] == '\\' && j+1 < len(format) {
					j++
				}
				sb.WriteByte(format[j])
				j++
			}
			i = j + 1
			continue
		}
		if format[i] == '\\' && i+1 < len(format) {
			sb.WriteByte(format[i+1])
			i += 2
			continue
		}
		t := matchTemplate(format[i:])
		if t == "" {
			sb.WriteByte(format[i])
			i++
			continue
		}
		i += len(t)
		th := ""
		if strings.HasPrefix(format[i:], "TH") {
			th = "TH"
			i += 2
		} else if strings.HasPrefix(format[i:], "th") {
			th = "th"
			i += 2
		}
		var num int64
		isNum := true
		var out string
		year := int64(c.year)
		if year <= 0 && !f.interval {
			year = 1 - year // BC years print positive
		}
		hour12 := int64(c.hour % 12)
		if hour12 == 0 {
			hour12 = 12
		}
		isoY, isoW := c.isoWeek()
		switch t {
		case "HH24":
			num = int64(c.hour)
			if f.interval {
				num = f.hours
			}
			out = pad(num, 2, fm)
		case "HH", "HH12":
			num = hour12
			if f.interval {
				num = f.hours % 12
			}
			out = pad(num, 2, fm)
		case "MI":
			num = int64(c.min)
			out = pad(num, 2, fm)
		case "SS":
			num = int64(c.sec)
			out = pad(num, 2, fm)
		case "MS":
			num = int64(c.usec / 1000)
			out = pad(num, 3, fm)
		case "US":
			num = int64(c.usec)
			out = pad(num, 6, fm)
		case "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			n := int(t[2] - '0')
			num = int64(c.usec) / pow10[6-n]
			out = pad(num, n, false)
		case "SSSS", "SSSSS":
			num = int64(c.hour*3600 + c.min*60 + c.sec)
			out = pad(num, 0, true)
		case "AM", "PM", "am", "pm":
			isNum = false
			if c.hour >= 12 {
				out = caseLike(t, "PM")
			} else {
				out = caseLike(t, "AM")
			}
		case "A.M.", "P.M.", "a.m.", "p.m.":
			isNum = false
			if c.hour >= 12 {
				out = caseLike(t, "P.M.")
			} else {
				out = caseLike(t, "A.M.")
			}
		case "AD", "BC", "ad", "bc":
			isNum = false
			if c.year <= 0 {
				out = caseLike(t, "BC")
			} else {
				out = caseLike(t, "AD")
			}
		case "A.D.", "B.C.", "a.d.", "b.c.":
			isNum = false
			if c.year <= 0 {
				out = caseLike(t, "B.C.")
			} else {
				out = caseLike(t, "A.D.")
			}
		case "Y,YYY":
			num = year
			out = strconv.FormatInt(year/1000, 10) + "," + pad(year%1000, 3, false)
		case "YYYY":
			num = year
			out = pad(num, 4, fm)
		case "YYY":
			num = year % 1000
			out = pad(num, 3, fm)
		case "YY":
			num = year % 100
			out = pad(num, 2, fm)
		case "Y":
			num = year % 10
			out = pad(num, 1, fm)
		case "IYYY":
			num = int64(isoY)
			out = pad(num, 4, fm)
		case "IYY":
			num = int64(isoY % 1000)
			out = pad(num, 3, fm)
		case "IY":
			num = int64(isoY % 100)
			out = pad(num, 2, fm)
		case "I":
			num = int64(isoY % 10)
			out = pad(num, 1, fm)
		case "MONTH", "Month", "month", "MON", "Mon", "mon":
			isNum = false
			if c.month < 1 {
				out = ""
				break
			}
			name := monthNames[c.month-1]
			if len(t) == 3 {
				name = name[:3]
			} else if !fm {
				name += strings.Repeat(" ", 9-len(name))
			}
			out = caseLike(t, name)
		case "DAY", "Day", "day", "DY", "Dy", "dy":
			isNum = false
			name := dayNames[c.dow()]
			if len(t) == 2 {
				name = name[:3]
			} else if !fm {
				name += strings.Repeat(" ", 9-len(name))
			}
			out = caseLike(t, name)
		case "MM":
			num = int64(c.month)
			out = pad(num, 2, fm)
		case "DDD":
			num = int64(c.doy())
			out = pad(num, 3, fm)
		case "IDDD":
			isoDow := c.dow()
			if isoDow == 0 {
				isoDow = 7
			}
			num = int64((isoW-1)*7 + isoDow)
			out = pad(num, 3, fm)
		case "DD":
			num = int64(c.day)
			out = pad(num, 2, fm)
		case "D":
			num = int64(c.dow() + 1)
			out = pad(num, 1, fm)
		case "ID":
			d := c.dow()
			if d == 0 {
				d = 7
			}
			num = int64(d)
			out = pad(num, 1, fm)
		case "IW":
			num = int64(isoW)
			out = pad(num, 2, fm)
		case "WW":
			num = int64((c.doy()-1)/7 + 1)
			out = pad(num, 2, fm)
		case "W":
			num = int64((c.day-1)/7 + 1)
			out = pad(num, 1, fm)
		case "Q":
			num = int64((c.month-1)/3 + 1)
			out = pad(num, 1, fm)
		case "CC":
			if year > 0 {
				num = (year-1)/100 + 1
			} else {
				num = year/100 - 1
			}
			out = pad(num, 2, fm)
		case "J":
			num = c.days + 2440588
			out = pad(num, 0, true)
		case "RM", "rm":
			isNum = false
			if c.month >= 1 {
				out = romanMonth[c.month-1]
				if !fm {
					out += strings.Repeat(" ", 4-len(out))
				}
				out = caseLike(t, out)
			}
		case "TZ", "tz":
			isNum = false
			out = caseLike(t, f.tzAbbrev)
		case "TZH":
			isNum = false
			h := f.tzOffset / 3600
			sign := "+"
			if f.tzOffset < 0 {
				sign = "-"
				h = -h
			}
			out = sign + pad(int64(h), 2, false)
		case "TZM":
			isNum = false
			out = pad(int64(abs64(int64(f.tzOffset))%3600/60), 2, false)
		case "OF":
			isNum = false
			out = formatOffset(f.tzOffset)
		}
		if th != "" && isNum {
			out += caseLike(th, ordinal(num))
		}
		sb.WriteString(out)
	}
	return sb.String()
}

func formatOffset(off int) string {
	sign := "+"
	if off < 0 {
		sign = "-"
		off = -off
	}
	s := sign + pad(int64(off/3600), 2, false)
	if m := off % 3600 / 60; m != 0 {
		s += ":" + pad(int64(m), 2, false)
	}
	return s
}

func zoneAbbrev(micros int64, l *time.Location) (string, int) {
	name, off := time.UnixMicro(micros).In(l).Zone()
	if name == "" || name[0] == '+' || name[0] == '-' {
		name = formatOffset(off)
	}
	return name, off
}

// toCharNumber formats a number with a numeric to_char template; floats
// round half to even (Postgres formats them with printf), numerics half
// away from zero.
func toCharNumber(d *apd.Decimal, format string) string {
	return toCharNumberRounding(d, format, apd.RoundHalfUp)
}

func toCharNumberRounding(d *apd.Decimal, format string, rounding apd.Rounder) string {
	upperFmt := strings.ToUpper(format)
	if strings.Contains(upperFmt, "RN") {
		return toCharRoman(d, strings.Contains(upperFmt, "FM"), strings.Contains(format, "rn"))
	}
	if strings.Contains(upperFmt, "EEEE") {
		return toCharScientific(d, format, rounding)
	}
	fm := strings.Contains(strings.ToUpper(format), "FM")
	// Scan the template.
	intPos, fracPos := 0, 0
	seenPoint := false
	zeroFrom := -1 // first int position with a 0 (zero-fill from there)
	lastFracZero := -1
	for i := 0; i < len(format); i++ {
		switch c := format[i]; {
		case c == '"':
			// Quoted text holds no template characters.
			for i++; i < len(format) && format[i] != '"'; i++ {
			}
		case c == '9' || c == '0':
			if seenPoint {
				fracPos++
				if c == '0' {
					lastFracZero = fracPos
				}
			} else {
				if c == '0' && zeroFrom < 0 {
					zeroFrom = intPos
				}
				intPos++
			}
		case c == '.' || c == 'D' || c == 'd':
			seenPoint = true
		}
	}
	neg := d.Negative && !d.IsZero()
	r := new(apd.Decimal)
	abs := new(apd.Decimal).Abs(d)
	rc := *decCtx
	rc.Rounding = rounding
	rc.Quantize(r, abs, -int32(fracPos))
	if r.IsZero() {
		neg = false
	}
	text := r.Text('f')
	intStr, fracStr := text, ""
	if k := strings.IndexByte(text, '.'); k >= 0 {
		intStr, fracStr = text[:k], text[k+1:]
	}
	ordinalOf, _ := strconv.ParseInt(intStr, 10, 64)
	if intStr == "0" {
		intStr = ""
		if fracPos == 0 && zeroFrom < 0 {
			intStr = "0"
		}
	}
	overflow := len(intStr) > intPos
	if fm && lastFracZero < fracPos {
		// FM drops trailing zeros in 9 positions.
		trimTo := max(lastFracZero, 0)
		for len(fracStr) > trimTo && fracStr[len(fracStr)-1] == '0' {
			fracStr = fracStr[:len(fracStr)-1]
		}
	}
	if fm && intStr == "" && fracStr == "" && intPos > 0 {
		// FM never prints a bare point: zero shows as "0.".
		intStr = "0"
	}
	upper := strings.ToUpper(format)
	explicitSign := strings.Contains(upper, "S") && !strings.Contains(upper, "SG") || strings.Contains(upper, "MI") ||
		strings.Contains(upper, "PR") || strings.Contains(upper, "SG")
	var sb strings.Builder
	intIdx, fracIdx := 0, 0
	started := false
	signDone := explicitSign
	emitSign := func() {
		if signDone {
			return
		}
		signDone = true
		if neg {
			sb.WriteByte('-')
		} else if !fm {
			sb.WriteByte(' ')
		}
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		up := upper[i:]
		switch {
		case strings.HasPrefix(up, "FM"):
			i++
		case c == '9' || c == '0':
			if fracIdx > 0 || (seenPointBefore(format, i)) {
				if overflow {
					sb.WriteByte('#')
				} else if fracIdx < len(fracStr) {
					sb.WriteByte(fracStr[fracIdx])
				}
				fracIdx++
				continue
			}
			lead := intPos - len(intStr)
			switch {
			case overflow:
				emitSign()
				sb.WriteByte('#')
			case intIdx < lead:
				if zeroFrom >= 0 && intIdx >= zeroFrom {
					emitSign()
					started = true
					sb.WriteByte('0')
				} else if !fm {
					sb.WriteByte(' ')
				}
			default:
				emitSign()
				started = true
				sb.WriteByte(intStr[intIdx-lead])
			}
			intIdx++
		case c == '.' || c == 'D' || c == 'd':
			emitSign()
			sb.WriteByte('.')
		case c == ',' || c == 'G' || c == 'g':
			if started {
				sb.WriteByte(',')
			} else if !fm {
				sb.WriteByte(' ')
			}
		case strings.HasPrefix(up, "TH"):
			i++
			if !overflow {
				sb.WriteString(caseLike(format[i-1:i+1], ordinal(ordinalOf)))
			}
		case strings.HasPrefix(up, "PR"):
			i++
			if neg {
				return "<" + strings.TrimLeft(sb.String(), " ") + ">"
			}
			if !fm {
				sb.WriteByte(' ')
			}
		case strings.HasPrefix(up, "SG"):
			i++
			if neg {
				sb.WriteByte('-')
			} else {
				sb.WriteByte('+')
			}
		case strings.HasPrefix(up, "PL"):
			i++
			if !neg {
				sb.WriteByte('+')
			}
		case strings.HasPrefix(up, "MI"):
			i++
			if neg {
				sb.WriteByte('-')
			} else if !fm {
				sb.WriteByte(' ')
			}
		case c == 'S' || c == 's':
			if neg {
				sb.WriteByte('-')
			} else {
				sb.WriteByte('+')
			}
		case c == '"':
			j := i + 1
			for j < len(format) && format[j] != '"' {
				sb.WriteByte(format[j])
				j++
			}
			i = j
		default:
			sb.WriteByte(c)
		}
	}
	out := sb.String()
	if strings.Contains(upper, "S") && !strings.Contains(upper, "SG") && !strings.Contains(upper, "MI") {
		// Move an anchored S sign next to the first digit.
		if k := strings.IndexAny(out, "+-"); k >= 0 {
			s := out[k]
			rest := out[:k] + out[k+1:]
			firstDigit := strings.IndexFunc(rest, func(r rune) bool { return r >= '0' && r <= '9' || r == '.' || r == '#' })
			if firstDigit >= 0 && k < firstDigit {
				out = rest[:firstDigit] + string(s) + rest[firstDigit:]
			}
		}
	}
	return out
}

func seenPointBefore(format string, i int) bool {
	for k := 0; k < i; k++ {
		switch format[k] {
		case '"':
			for k++; k < i && format[k] != '"'; k++ {
			}
		case '.', 'D', 'd':
			return true
		}
	}
	return false
}

// parsedDate is the result of to_timestamp/to_date parsing.
type parsedDate struct {
	year, month, day, hour, min, sec, usec int
	pm, hasAMPM                            bool
	doy                                    int
	hasTZ                                  bool
	tzOffset                               int
	bc                                     bool
}

func (p *parsedDate) wallMicros() (int64, error) {
	y := p.year
	if p.bc && y > 0 {
		y = 1 - y
	}
	if p.hasAMPM {
		if p.hour > 12 || p.hour < 1 {
			return 0, types.Errorf(types.CodeInvalidDatetimeFormat, "hour \"%d\" is invalid for the 12-hour clock", p.hour)
		}
		if p.pm && p.hour < 12 {
			p.hour += 12
		} else if !p.pm && p.hour == 12 {
			p.hour = 0
		}
	}
	if p.doy > 0 && p.month == 0 {
		days := daysFromCivil(y, 1, 1) + int64(p.doy-1)
		return days*usecPerDay + int64(p.hour)*usecPerHour + int64(p.min)*usecPerMin + int64(p.sec)*usecPerSec + int64(p.usec), nil
	}
	if p.month == 0 {
		p.month = 1
	}
	if p.day == 0 {
		p.day = 1
	}
	if p.month > 12 || p.day > daysInMonth(y, p.month) {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "date/time field value out of range")
	}
	if p.hour > 24 || p.min > 59 || p.sec > 60 {
		return 0, types.Errorf(types.CodeDatetimeFieldOverflow, "date/time field value out of range")
	}
	return daysFromCivil(y, p.month, p.day)*usecPerDay + int64(p.hour)*usecPerHour + int64(p.min)*usecPerMin + int64(p.sec)*usecPerSec + int64(p.usec), nil
}

// parseWithFormat parses s with a to_timestamp/to_date template.
func parseWithFormat(s, format string) (*parsedDate, error) {
	p := &parsedDate{}
	hadYear := false
	si := 0
	readNum := func(maxDigits int, name string) (int, error) {
		for si < len(s) && s[si] == ' ' {
			si++
		}
		start := si
		neg := false
		if si < len(s) && s[si] == '-' && name == "YYYY" {
			neg = true
			si++
			start = si
		}
		for si < len(s) && si-start < maxDigits && s[si] >= '0' && s[si] <= '9' {
			si++
		}
		if si == start {
			return 0, types.Errorf(types.CodeInvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", firstWord(s[start:]), name)
		}
		v, _ := strconv.Atoi(s[start:si])
		if neg {
			v = -v
		}
		return v, nil
	}
	readName := func(names []string, abbrev bool, name string) (int, error) {
		rest := strings.ToLower(s[si:])
		for i, n := range names {
			cand := strings.ToLower(n)
			if abbrev {
				cand = cand[:3]
			}
			if strings.HasPrefix(rest, cand) {
				si += len(cand)
				return i, nil
			}
		}
		return 0, types.Errorf(types.CodeInvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", firstWord(s[si:]), name)
	}
	for fi := 0; fi < len(format); {
		if strings.HasPrefix(format[fi:], "FM") || strings.HasPrefix(format[fi:], "FX") || strings.HasPrefix(format[fi:], "fm") {
			fi += 2
			continue
		}
		if format[fi] == '"' {
			j := fi + 1
			for j < len(format) && format[j] != '"' {
				j++
				if si < len(s) {
					si++
				}
			}
			fi = j + 1
			continue
		}
		t := matchTemplate(format[fi:])
		if t == "" {
			c := format[fi]
			fi++
			if c == ' ' {
				for si < len(s) && s[si] == ' ' {
					si++
				}
				continue
			}
			if si < len(s) && (s[si] == c || !isAlnum(s[si])) {
				si++
			}
			continue
		}
		fi += len(t)
		if strings.HasPrefix(format[fi:], "TH") || strings.HasPrefix(format[fi:], "th") {
			fi += 2
		}
		var err error
		switch t {
		case "YYYY", "IYYY":
			p.year, err = readNum(4, "YYYY")
			hadYear = true
			// Allow more digits when the field is not followed by a digit pattern.
			for err == nil && si < len(s) && s[si] >= '0' && s[si] <= '9' && (fi >= len(format) || !isAlnum(format[fi])) {
				p.year = p.year*10 + int(s[si]-'0')
				si++
			}
		case "Y,YYY":
			var th, rest int
			th, err = readNum(3, t)
			if err == nil && si < len(s) && s[si] == ',' {
				si++
			}
			if err == nil {
				rest, err = readNum(3, t)
			}
			p.year = th*1000 + rest
			hadYear = true
		case "YYY", "IYY":
			p.year, err = readNum(3, t)
			p.year += 2000
			if p.year > 2069 {
				p.year -= 1000
			}
			hadYear = true
		case "YY", "IY":
			p.year, err = readNum(2, t)
			if p.year < 70 {
				p.year += 2000
			} else {
				p.year += 1900
			}
			hadYear = true
		case "Y", "I":
			p.year, err = readNum(1, t)
			p.year += 2020
			hadYear = true
		case "MM":
			p.month, err = readNum(2, t)
		case "DD":
			p.day, err = readNum(2, t)
		case "DDD", "IDDD":
			p.doy, err = readNum(3, t)
		case "HH24", "HH", "HH12":
			p.hour, err = readNum(2, t)
		case "MI":
			p.min, err = readNum(2, t)
		case "SS":
			p.sec, err = readNum(2, t)
		case "MS":
			var v int
			start := si
			v, err = readNum(3, t)
			for k := si - start; k < 3; k++ {
				v *= 10
			}
			p.usec += v * 1000
		case "US", "FF1", "FF2", "FF3", "FF4", "FF5", "FF6":
			var v int
			start := si
			v, err = readNum(6, t)
			for k := si - start; k < 6; k++ {
				v *= 10
			}
			p.usec += v
		case "SSSS", "SSSSS":
			var v int
			v, err = readNum(5, t)
			p.hour, p.min, p.sec = v/3600, v%3600/60, v%60
		case "AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.":
			p.hasAMPM = true
			rest := strings.ToUpper(s[si:])
			switch {
			case strings.HasPrefix(rest, "PM"), strings.HasPrefix(rest, "P.M."):
				p.pm = true
			case strings.HasPrefix(rest, "AM"), strings.HasPrefix(rest, "A.M."):
			default:
				err = types.Errorf(types.CodeInvalidDatetimeFormat, "invalid value \"%s\" for \"%s\"", firstWord(s[si:]), t)
			}
			si += len(t)
		case "AD", "BC", "ad", "bc", "A.D.", "B.C.", "a.d.", "b.c.":
			rest := strings.ToUpper(s[si:])
			p.bc = strings.HasPrefix(rest, "BC") || strings.HasPrefix(rest, "B.C.")
			si += len(t)
		case "MONTH", "Month", "month":
			var m int
			m, err = readName(monthNames, false, t)
			p.month = m + 1
		case "MON", "Mon", "mon":
			var m int
			m, err = readName(monthNames, true, t)
			p.month = m + 1
		case "DAY", "Day", "day":
			_, err = readName(dayNames, false, t)
		case "DY", "Dy", "dy":
			_, err = readName(dayNames, true, t)
		case "D", "ID", "IW", "WW", "W", "Q", "CC":
			_, err = readNum(2, t)
		case "J":
			var v int
			v, err = readNum(8, t)
			y, m, d := civilFromDays(int64(v) - 2440588)
			p.year, p.month, p.day = y, m, d
			hadYear = true
		case "TZH":
			for si < len(s) && s[si] == ' ' {
				si++
			}
			sign := 1
			if si < len(s) && (s[si] == '-' || s[si] == '+') {
				if s[si] == '-' {
					sign = -1
				}
				si++
			}
			var h int
			h, err = readNum(2, t)
			p.hasTZ = true
			p.tzOffset += sign * h * 3600
		case "TZM":
			var m int
			m, err = readNum(2, t)
			if p.tzOffset < 0 {
				m = -m
			}
			p.tzOffset += m * 60
		case "TZ", "tz", "OF":
			for si < len(s) && s[si] == ' ' {
				si++
			}
			j := si
			for j < len(s) && s[j] != ' ' {
				j++
			}
			if off, ok := parseOffset(s[si:j]); ok {
				p.hasTZ, p.tzOffset = true, off
			} else if l, e := resolveZone(s[si:j]); e == nil {
				p.hasTZ = true
				_, p.tzOffset = time.Now().In(l).Zone()
			}
			si = j
		case "RM", "rm":
			rest := strings.ToUpper(s[si:])
			for i := len(romanMonth) - 1; i >= 0; i-- {
				if strings.HasPrefix(rest, romanMonth[i]) {
					p.month = i + 1
					si += len(romanMonth[i])
					break
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if !hadYear {
		// Postgres leaves the year at 0 (1 BC) when the template has none.
		p.year = 0
	}
	return p, nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// parseNumberWithFormat implements to_number: keeps digits, the sign and the
// decimal point the template places.
func parseNumberWithFormat(s, format string) (*apd.Decimal, error) {
	if strings.Contains(strings.ToUpper(format), "EEEE") {
		return nil, types.Errorf(types.CodeFeatureNotSupported, "\"EEEE\" not supported for input")
	}
	var sb strings.Builder
	neg := false
	seenDigit := false
	decimalAllowed := strings.ContainsAny(format, ".Dd")
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			sb.WriteRune(c)
			seenDigit = true
		case c == '.' && decimalAllowed:
			sb.WriteRune(c)
		case c == '-' || c == '<':
			neg = true
		}
	}
	if !seenDigit {
		return nil, types.Errorf(types.CodeInvalidTextRepresentation, "invalid input syntax for type numeric: \" \"")
	}
	d, _, err := apd.NewFromString(sb.String())
	if err != nil {
		return nil, types.Errorf(types.CodeInvalidTextRepresentation, "invalid input syntax for type numeric: \"%s\"", s)
	}
	d.Negative = neg
	return d, nil
}

func registerToChar(b *registryBuilder) {
	T := types.Text
	b.fn(&Overload{Name: "to_char", Args: args(types.Timestamp, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if !finiteTS(a[0].I) {
			return types.Null, nil
		}
		return types.DString(toCharDatetime(dtFields{c: toCivil(a[0].I)}, a[1].S)), nil
	}})
	b.fn(&Overload{Name: "to_char", Args: args(types.TimestampTZ, T), Ret: T, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		if !finiteTS(a[0].I) {
			return types.Null, nil
		}
		abbr, off := zoneAbbrev(a[0].I, loc(ctx))
		return types.DString(toCharDatetime(dtFields{c: toCivil(a[0].I + int64(off)*usecPerSec), tzAbbrev: abbr, tzOffset: off, hasTZ: true}, a[1].S)), nil
	}})
	b.fn(&Overload{Name: "to_char", Args: args(types.Interval, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		iv := a[0].Interval()
		us := iv.Micros
		c := civil{
			year: int(iv.Months / 12), month: int(iv.Months % 12), day: int(iv.Days),
			hour: int(us / usecPerHour % 24), min: int(us % usecPerHour / usecPerMin),
			sec: int(us % usecPerMin / usecPerSec), usec: int(us % usecPerSec),
		}
		return types.DString(toCharDatetime(dtFields{c: c, interval: true, hours: us / usecPerHour}, a[1].S)), nil
	}})
	b.fn(&Overload{Name: "to_char", Args: args(types.Numeric, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DString(toCharNumber(datumDec(a[0]), a[1].S)), nil
	}})
	for _, t := range []*types.T{types.Int4, types.Int8} {
		b.fn(&Overload{Name: "to_char", Args: args(t, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return types.DString(toCharNumber(apd.New(a[0].I, 0), a[1].S)), nil
		}})
	}
	for _, t := range []*types.T{types.Float4, types.Float8} {
		w := t.Width
		b.fn(&Overload{Name: "to_char", Args: args(t, T), Ret: T, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
			return types.DString(toCharNumberRounding(decFromFloat(a[0].Float(), w), a[1].S, apd.RoundHalfEven)), nil
		}})
	}
	b.fn(&Overload{Name: "to_number", Args: args(T, T), Ret: types.Numeric, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		d, err := parseNumberWithFormat(a[0].S, a[1].S)
		if err != nil {
			return types.Null, err
		}
		return dDec(d), nil
	}})
}

// toCharRoman is the RN template: roman numerals for 1..3999, right-aligned
// in 15 characters unless FM; '#' otherwise.
func toCharRoman(d *apd.Decimal, fm, lower bool) string {
	n, err := decToInt(d, 32)
	if err != nil || n < 1 || n > 3999 {
		return strings.Repeat("#", 15)
	}
	vals := []int64{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var sb strings.Builder
	for i, v := range vals {
		for n >= v {
			sb.WriteString(syms[i])
			n -= v
		}
	}
	out := sb.String()
	if lower {
		out = strings.ToLower(out)
	}
	if !fm {
		out = strings.Repeat(" ", 15-len(out)) + out
	}
	return out
}

// toCharScientific is the EEEE template: one digit before the point, as
// many after as the template has, and a two-digit signed exponent.
func toCharScientific(d *apd.Decimal, format string, rounding apd.Rounder) string {
	frac := 0
	if k := strings.IndexAny(format, ".Dd"); k >= 0 {
		for _, c := range format[k+1:] {
			if c == '9' || c == '0' {
				frac++
			}
		}
	}
	if d.Form != apd.Finite {
		return " " + strings.Repeat("#", 1+frac+boolLen(frac > 0)+4)
	}
	neg := d.Negative && !d.IsZero()
	abs := new(apd.Decimal).Abs(d)
	exp := int64(0)
	if !abs.IsZero() {
		exp = int64(abs.NumDigits()) + int64(abs.Exponent) - 1
	}
	mant := new(apd.Decimal).Set(abs)
	mant.Exponent -= int32(exp)
	rc := *decCtx
	rc.Rounding = rounding
	r := new(apd.Decimal)
	rc.Quantize(r, mant, -int32(frac))
	if r.Cmp(apd.New(10, 0)) >= 0 {
		exp++
		mant.Exponent--
		rc.Quantize(r, mant, -int32(frac))
	}
	var sb strings.Builder
	if neg {
		sb.WriteByte('-')
	} else if !strings.Contains(strings.ToUpper(format), "FM") {
		sb.WriteByte(' ')
	}
	sb.WriteString(r.Text('f'))
	sb.WriteByte('e')
	if exp < 0 {
		sb.WriteByte('-')
		exp = -exp
	} else {
		sb.WriteByte('+')
	}
	if exp < 10 {
		sb.WriteByte('0')
	}
	sb.WriteString(strconv.FormatInt(exp, 10))
	return sb.String()
}

func boolLen(b bool) int {
	if b {
		return 1
	}
	return 0
}

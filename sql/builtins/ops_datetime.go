package builtins

import (
	"math"

	"github.com/streamdb/streamdb/sql/types"
)

func registerDatetimeOps(b *registryBuilder) {
	D, TS, TZ, IV, TM := types.Date, types.Timestamp, types.TimestampTZ, types.Interval, types.Time
	i4 := types.Int4
	// date and integer days.
	b.op(&Overload{Name: "+", Args: args(D, i4), Ret: D, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return dateAddDays(a[0].I, a[1].I)
	}})
	b.op(&Overload{Name: "+", Args: args(i4, D), Ret: D, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return dateAddDays(a[1].I, a[0].I)
	}})
	b.op(&Overload{Name: "-", Args: args(D, i4), Ret: D, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return dateAddDays(a[0].I, -a[1].I)
	}})
	b.op(&Overload{Name: "-", Args: args(D, D), Ret: i4, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if !finiteTS(a[0].I) || !finiteTS(a[1].I) {
			return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "cannot subtract infinite dates")
		}
		return types.DInt(a[0].I - a[1].I), nil
	}})
	// date with interval and time: through timestamp.
	b.op(&Overload{Name: "+", Args: args(D, IV), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsAdd(dateToTS(a[0].I), a[1].Interval(), false)
	}})
	b.op(&Overload{Name: "+", Args: args(IV, D), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsAdd(dateToTS(a[1].I), a[0].Interval(), false)
	}})
	b.op(&Overload{Name: "-", Args: args(D, IV), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsAdd(dateToTS(a[0].I), a[1].Interval(), true)
	}})
	b.op(&Overload{Name: "+", Args: args(D, TM), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DTimestamp(dateToTS(a[0].I) + a[1].I), nil
	}})
	b.op(&Overload{Name: "+", Args: args(TM, D), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DTimestamp(dateToTS(a[1].I) + a[0].I), nil
	}})
	// timestamp.
	b.op(&Overload{Name: "+", Args: args(TS, IV), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsAdd(a[0].I, a[1].Interval(), false)
	}})
	b.op(&Overload{Name: "+", Args: args(IV, TS), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsAdd(a[1].I, a[0].Interval(), false)
	}})
	b.op(&Overload{Name: "-", Args: args(TS, IV), Ret: TS, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsAdd(a[0].I, a[1].Interval(), true)
	}})
	b.op(&Overload{Name: "-", Args: args(TS, TS), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsDiff(a[0].I, a[1].I)
	}})
	// timestamptz: month and day parts on the session's wall clock.
	b.op(&Overload{Name: "+", Args: args(TZ, IV), Ret: TZ, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		return tzAdd(ctx, a[0].I, a[1].Interval(), false)
	}})
	b.op(&Overload{Name: "+", Args: args(IV, TZ), Ret: TZ, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		return tzAdd(ctx, a[1].I, a[0].Interval(), false)
	}})
	b.op(&Overload{Name: "-", Args: args(TZ, IV), Ret: TZ, Volatility: Stable, Fn: func(ctx *Context, a []types.Datum) (types.Datum, error) {
		return tzAdd(ctx, a[0].I, a[1].Interval(), true)
	}})
	b.op(&Overload{Name: "-", Args: args(TZ, TZ), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return tsDiff(a[0].I, a[1].I)
	}})
	// time.
	b.op(&Overload{Name: "+", Args: args(TM, IV), Ret: TM, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DTime(floorMod(a[0].I+a[1].Interval().Micros, usecPerDay)), nil
	}})
	b.op(&Overload{Name: "+", Args: args(IV, TM), Ret: TM, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DTime(floorMod(a[1].I+a[0].Interval().Micros, usecPerDay)), nil
	}})
	b.op(&Overload{Name: "-", Args: args(TM, IV), Ret: TM, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DTime(floorMod(a[0].I-a[1].Interval().Micros, usecPerDay)), nil
	}})
	b.op(&Overload{Name: "-", Args: args(TM, TM), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return types.DInterval(types.IntervalValue{Micros: a[0].I - a[1].I}), nil
	}})
	// interval.
	b.op(&Overload{Name: "+", Args: args(IV, IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return intervalAdd(a[0].Interval(), a[1].Interval(), 1)
	}})
	b.op(&Overload{Name: "-", Args: args(IV, IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return intervalAdd(a[0].Interval(), a[1].Interval(), -1)
	}})
	b.op(&Overload{Name: "-", Args: args(IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return intervalAdd(types.IntervalValue{}, a[0].Interval(), -1)
	}})
	b.op(&Overload{Name: "*", Args: args(IV, types.Float8), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return intervalMul(a[0].Interval(), a[1].Float())
	}})
	b.op(&Overload{Name: "*", Args: args(types.Float8, IV), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		return intervalMul(a[1].Interval(), a[0].Float())
	}})
	b.op(&Overload{Name: "/", Args: args(IV, types.Float8), Ret: IV, Fn: func(_ *Context, a []types.Datum) (types.Datum, error) {
		if a[1].Float() == 0 {
			return types.Null, errDivisionByZero()
		}
		return intervalDiv(a[0].Interval(), a[1].Float())
	}})
}

func dateToTS(days int64) int64 {
	if !finiteTS(days) {
		return days
	}
	return days * usecPerDay
}

func dateAddDays(days, n int64) (types.Datum, error) {
	if !finiteTS(days) {
		return types.DDate(days), nil
	}
	r := days + n
	if r > 2147483647-2440588 || r < -2440588-2451545 {
		return types.Null, errDateRange()
	}
	return types.DDate(r), nil
}

func tsAdd(ts int64, iv types.IntervalValue, neg bool) (types.Datum, error) {
	r, err := addTimestampInterval(ts, iv, neg)
	if err != nil {
		return types.Null, err
	}
	return types.DTimestamp(r), nil
}

func tzAdd(ctx *Context, ts int64, iv types.IntervalValue, neg bool) (types.Datum, error) {
	r, err := addTimestampTZInterval(ts, iv, neg, loc(ctx))
	if err != nil {
		return types.Null, err
	}
	return types.DTimestampTZ(r), nil
}

// tsDiff is timestamp - timestamp: microseconds justified into days.
func tsDiff(a, b int64) (types.Datum, error) {
	if !finiteTS(a) || !finiteTS(b) {
		return types.Null, types.Errorf(types.CodeDatetimeFieldOverflow, "cannot subtract infinite timestamps")
	}
	d := a - b
	return types.DInterval(justifyHours(types.IntervalValue{Micros: d})), nil
}

func intervalAdd(a, b types.IntervalValue, sign int64) (types.Datum, error) {
	m := int64(a.Months) + sign*int64(b.Months)
	d := int64(a.Days) + sign*int64(b.Days)
	us := a.Micros + sign*b.Micros
	if m != int64(int32(m)) || d != int64(int32(d)) {
		return types.Null, errIntervalRange()
	}
	if (sign > 0 && (a.Micros^us)&(b.Micros^us) < 0) || (sign < 0 && (a.Micros^b.Micros)&(a.Micros^us) < 0) {
		return types.Null, errIntervalRange()
	}
	return types.DInterval(types.IntervalValue{Months: int32(m), Days: int32(d), Micros: us}), nil
}

const daysPerMonth = 30

// intervalMul follows Postgres's interval_mul: fractional months spill into
// days and fractional days into time.
func intervalMul(iv types.IntervalValue, factor float64) (types.Datum, error) {
	monthsF := float64(iv.Months) * factor
	daysF := float64(iv.Days) * factor
	if math.IsNaN(factor) || math.Abs(monthsF) > math.MaxInt32 || math.Abs(daysF) > math.MaxInt32 {
		return types.Null, errIntervalRange()
	}
	months := int32(monthsF)
	days := int32(daysF)
	// Postgres rounds the spilled days to microseconds (TSROUND) first.
	monthRemDays := math.RoundToEven((monthsF-float64(months))*daysPerMonth*1e6) / 1e6
	secRem := (daysF - float64(days) + monthRemDays - math.Trunc(monthRemDays)) * 86400
	secRem = math.RoundToEven(secRem*1e6) / 1e6
	if math.Abs(secRem) >= 86400 {
		days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	days += int32(monthRemDays)
	micros := math.RoundToEven(float64(iv.Micros)*factor + secRem*1e6)
	if math.IsNaN(micros) || math.Abs(micros) >= 9.2e18 {
		return types.Null, errIntervalRange()
	}
	return types.DInterval(types.IntervalValue{Months: months, Days: days, Micros: int64(micros)}), nil
}

func intervalDiv(iv types.IntervalValue, factor float64) (types.Datum, error) {
	monthsF := float64(iv.Months) / factor
	daysF := float64(iv.Days) / factor
	months := int32(monthsF)
	days := int32(daysF)
	// Postgres rounds the spilled days to microseconds (TSROUND) first.
	monthRemDays := math.RoundToEven((monthsF-float64(months))*daysPerMonth*1e6) / 1e6
	secRem := (daysF - float64(days) + monthRemDays - math.Trunc(monthRemDays)) * 86400
	secRem = math.RoundToEven(secRem*1e6) / 1e6
	if math.Abs(secRem) >= 86400 {
		days += int32(secRem / 86400)
		secRem -= math.Trunc(secRem/86400) * 86400
	}
	days += int32(monthRemDays)
	micros := math.RoundToEven(float64(iv.Micros)/factor + secRem*1e6)
	return types.DInterval(types.IntervalValue{Months: months, Days: days, Micros: int64(micros)}), nil
}

// justifyHours moves whole days out of the time part (same signs).
func justifyHours(iv types.IntervalValue) types.IntervalValue {
	extra := iv.Micros / usecPerDay
	iv.Days += int32(extra)
	iv.Micros -= extra * usecPerDay
	if iv.Days > 0 && iv.Micros < 0 {
		iv.Micros += usecPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Micros > 0 {
		iv.Micros -= usecPerDay
		iv.Days++
	}
	return iv
}

// justifyDays moves whole 30-day months out of the day part.
func justifyDays(iv types.IntervalValue) types.IntervalValue {
	extra := iv.Days / daysPerMonth
	iv.Months += extra
	iv.Days -= extra * daysPerMonth
	if iv.Months > 0 && iv.Days < 0 {
		iv.Days += daysPerMonth
		iv.Months--
	} else if iv.Months < 0 && iv.Days > 0 {
		iv.Days -= daysPerMonth
		iv.Months++
	}
	return iv
}

func justifyInterval(iv types.IntervalValue) types.IntervalValue {
	extra := iv.Micros / usecPerDay
	iv.Days += int32(extra)
	iv.Micros -= extra * usecPerDay
	extraM := iv.Days / daysPerMonth
	iv.Months += extraM
	iv.Days -= extraM * daysPerMonth
	if iv.Months > 0 && (iv.Days < 0 || (iv.Days == 0 && iv.Micros < 0)) {
		iv.Days += daysPerMonth
		iv.Months--
	} else if iv.Months < 0 && (iv.Days > 0 || (iv.Days == 0 && iv.Micros > 0)) {
		iv.Days -= daysPerMonth
		iv.Months++
	}
	if iv.Days > 0 && iv.Micros < 0 {
		iv.Micros += usecPerDay
		iv.Days--
	} else if iv.Days < 0 && iv.Micros > 0 {
		iv.Micros -= usecPerDay
		iv.Days++
	}
	return iv
}

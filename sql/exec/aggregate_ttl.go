package exec

// forgetKey drops a group without emitting (view TTL, dataflow_ttl.go).
// The group is never dirty here: keys expire at a barrier, after the
// aggregate flushed its dirty groups, and only keys untouched for a whole
// TTL expire.
func (a *aggregate) forgetKey(key string) { a.groups.Delete([]byte(key)) }

func (a *aggregate) ttlUnsupported() string { return "" }

// ttlUnsupported: groups closed by a watermark are expired by it
// (window_close.go); mixing both would drop groups from its time index
// behind its back.
func (w *windowAgg) ttlUnsupported() string {
	if w.timeGroup >= 0 {
		return "a windowed aggregate closed by a watermark"
	}
	return ""
}

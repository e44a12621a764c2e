package exec

// forgetKey drops a row's count without emitting (view TTL,
// dataflow_ttl.go).
func (d *distinct) forgetKey(key string) { d.counts.Delete([]byte(key)) }

func (d *distinct) ttlUnsupported() string {
	if d.on != nil {
		return "DISTINCT ON"
	}
	return ""
}

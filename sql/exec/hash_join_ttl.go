package exec

// forgetKey drops the rows of a join key on both sides without emitting
// (view TTL, dataflow_ttl.go): both sides go together, so no row keeps a
// match count that counts forgotten partners. Rows with a NULL in the key
// never match; those whose key encodes to key go too.
func (j *hashJoin) forgetKey(key string) {
	for s := range j.sides {
		side := &j.sides[s]
		side.buckets.Delete([]byte(key))
		if len(side.nulls) == 0 {
			continue
		}
		kept := side.nulls[:0]
		for _, e := range side.nulls {
			j.keyBuf, _ = appendColsKey(j.keyBuf[:0], e.row, side.keys)
			if string(j.keyBuf) != key {
				kept = append(kept, e)
			}
		}
		clear(side.nulls[len(kept):])
		side.nulls = kept
	}
}

func (j *hashJoin) ttlUnsupported() string {
	if j.nullAware {
		return "NOT IN (a null-aware anti join)"
	}
	return ""
}

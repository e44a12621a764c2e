package views

import (
	"fmt"
	"testing"
)

// TestDrainExtremes keeps deleting the rows at the top of Top-N, ROW_NUMBER
// and MIN/MAX views over a few thousand rows, many more than any
// in-memory buffer of candidates an operator might keep, and checks each
// view after every batch and after a restart.
func TestDrainExtremes(t *testing.T) {
	in := startInstance(t)
	r := &runner{t: t, label: "drain", in: in, views: []viewCase{
		{name: "top5", query: "SELECT id, v FROM big ORDER BY v DESC, id LIMIT 5"},
		{name: "bottom3", query: "SELECT id, v FROM big ORDER BY v, id LIMIT 3"},
		{name: "rn2", query: "SELECT g, id, v FROM (SELECT g, id, v, row_number() OVER (PARTITION BY g ORDER BY v DESC, id) AS rn FROM big) x WHERE rn <= 2"},
		{name: "minmax", query: "SELECT g, min(v) AS lo, max(v) AS hi, count(DISTINCT v) AS dv FROM big GROUP BY g"},
		{name: "gminmax", query: "SELECT min(v) AS lo, max(v) AS hi FROM big"},
	}}
	for _, sql := range []string{
		"CREATE TABLE big (id int PRIMARY KEY, g int, v int)",
		// v has duplicates (ties across ids) and spans the groups.
		"INSERT INTO big SELECT i, i % 4, (i * 7919) % 3001 FROM generate_series(1, 6000) i",
	} {
		if !r.exec(sql) {
			return
		}
	}
	if !r.create(r.views) || !r.flushAndCompare("after backfill") {
		return
	}
	for batch := 1; batch <= 12; batch++ {
		for _, sql := range []string{
			"DELETE FROM big WHERE v >= (SELECT max(v) FROM big) - 40",
			"DELETE FROM big WHERE v <= (SELECT min(v) FROM big) + 10",
			fmt.Sprintf("UPDATE big SET v = v - 100 WHERE id %% 97 = %d", batch),
		} {
			if !r.exec(sql) {
				return
			}
		}
		if !r.flushAndCompare(fmt.Sprintf("batch %d", batch)) {
			return
		}
		if batch == 6 {
			in.restart()
			r.recent = append(r.recent, "-- restart")
			if !r.compare("after restart") {
				return
			}
		}
	}
	// Drain one group entirely, then refill it.
	for _, sql := range []string{"DELETE FROM big WHERE g = 1", "INSERT INTO big SELECT i, 1, i % 50 FROM generate_series(10001, 10200) i"} {
		if !r.exec(sql) || !r.flushAndCompare(sql) {
			return
		}
	}
}

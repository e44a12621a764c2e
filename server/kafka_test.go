package server

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamdb/streamdb/sql/types"
)

// kafkaHarness is a server on a temporary data directory, restartable,
// next to an in-process kfake broker.
type kafkaHarness struct {
	t       *testing.T
	dir     string
	broker  string
	srv     *Server
	conn    *pgconn.PgConn
	produce *kgo.Client
}

func newKafkaHarness(t *testing.T, topics ...string) *kafkaHarness {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(8, topics...), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h := &kafkaHarness{t: t, dir: t.TempDir(), broker: c.ListenAddrs()[0]}
	h.produce, err = kgo.NewClient(kgo.SeedBrokers(h.broker), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.produce.Close)
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *kafkaHarness) start() {
	ctx := context.Background()
	srv, err := Start(ctx, Options{
		Listen: "127.0.0.1:0", HTTP: "-", DataDir: h.dir, BarrierInterval: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// No periodic checkpoint: a completed one truncates the change
		// logs, which expectedSinkRecords counts from the start.
		CheckpointInterval: -1,
		Settings:           map[string]string{"kafka.partition_check_interval": "200ms"},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	h.srv = srv
	if h.conn, err = pgconn.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable"); err != nil {
		h.t.Fatal(err)
	}
}

func (h *kafkaHarness) stop() {
	if h.conn != nil {
		_ = h.conn.Close(context.Background())
		h.conn = nil
	}
	if h.srv != nil {
		if err := h.srv.Close(); err != nil {
			h.t.Error(err)
		}
		h.srv = nil
	}
}

func (h *kafkaHarness) exec(sql string) error {
	_, err := h.conn.Exec(context.Background(), sql).ReadAll()
	return err
}

func (h *kafkaHarness) mustExec(sql string) {
	h.t.Helper()
	if err := h.exec(sql); err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
}

// query returns the rows of the last result as "a|b|c" lines.
func (h *kafkaHarness) query(sql string) string {
	h.t.Helper()
	res, err := h.conn.Exec(context.Background(), sql).ReadAll()
	if err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	var lines []string
	for _, r := range res[len(res)-1].Rows {
		f := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				f[i] = "NULL"
			} else {
				f[i] = string(v)
			}
		}
		lines = append(lines, strings.Join(f, "|"))
	}
	return strings.Join(lines, "\n")
}

func (h *kafkaHarness) eventually(what string, fn func() (bool, string)) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		ok, s := fn()
		if ok {
			return
		}
		last = s
		time.Sleep(50 * time.Millisecond)
	}
	h.t.Fatalf("timed out waiting for %s; last: %s", what, last)
}

func (h *kafkaHarness) send(topic string, partition int32, key, value []byte) {
	h.t.Helper()
	if err := h.produce.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Partition: partition, Key: key, Value: value}).FirstErr(); err != nil {
		h.t.Fatal(err)
	}
}

// order is the model of one orders row.
type order struct {
	customer int
	cents    int64
}

// cdcModel generates a Debezium stream for orders and customers and
// tracks the expected table contents.
type cdcModel struct {
	rng       *rand.Rand
	orders    map[int]order
	customers map[int]string
	nextOrder int
	parts     int32
}

func base64Decimal(cents int64) string {
	b := big.NewInt(cents).Bytes()
	if len(b) == 0 || b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return base64.StdEncoding.EncodeToString(b)
}

const orderSchema = `{"type":"struct","fields":[{"type":"struct","field":"before","fields":[{"type":"int64","field":"id"}]},{"type":"struct","field":"after","fields":[
{"type":"int64","field":"id"},{"type":"int32","field":"customer_id"},
{"type":"bytes","field":"amount","name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2"}},
{"type":"int64","field":"ts","name":"io.debezium.time.MicroTimestamp"}]},{"type":"string","field":"op"}]}`

func (m *cdcModel) orderAfter(id int, o order, withSchema bool) string {
	amount := fmt.Sprintf("%q", fmt.Sprintf("%d.%02d", o.cents/100, o.cents%100))
	if withSchema {
		amount = fmt.Sprintf("%q", base64Decimal(o.cents))
	}
	return fmt.Sprintf(`{"id":%d,"customer_id":%d,"amount":%s,"ts":%d}`, id, o.customer, amount, int64(1700000000000000)+int64(id))
}

func envelope(before, after, op string, schema string) string {
	p := fmt.Sprintf(`{"before":%s,"after":%s,"op":"%s","source":{"connector":"postgresql"}}`, before, after, op)
	if schema != "" {
		return fmt.Sprintf(`{"schema":%s,"payload":%s}`, schema, p)
	}
	return p
}

// step produces one random change (and sometimes a replayed duplicate or
// a tombstone) for orders or customers.
func (m *cdcModel) step(h *kafkaHarness) {
	withSchema := m.rng.IntN(2) == 0
	schema := ""
	if withSchema {
		schema = orderSchema
	}
	if m.rng.IntN(5) == 0 {
		id := m.rng.IntN(20)
		name := fmt.Sprintf("c%d_%d", id, m.rng.IntN(100))
		_, existed := m.customers[id]
		key := []byte(fmt.Sprintf(`{"id":%d}`, id))
		p := int32(id) % 8
		if existed && m.rng.IntN(4) == 0 {
			h.send("customers", p, key, []byte(envelope(fmt.Sprintf(`{"id":%d,"name":"x","region":"r"}`, id), "null", "d", "")))
			h.send("customers", p, key, nil)
			delete(m.customers, id)
			return
		}
		op := "c"
		if existed {
			op = "u"
		}
		h.send("customers", p, key, []byte(envelope("null", fmt.Sprintf(`{"id":%d,"name":%q,"region":"r%d"}`, id, name, id%3), op, "")))
		m.customers[id] = name
		return
	}
	var id int
	switch r := m.rng.IntN(10); {
	case r < 5 || len(m.orders) == 0:
		id = m.nextOrder
		m.nextOrder++
		o := order{customer: m.rng.IntN(20), cents: m.rng.Int64N(100000)}
		v := envelope("null", m.orderAfter(id, o, withSchema), "c", schema)
		h.send("orders", int32(id)%m.parts, []byte(fmt.Sprintf(`{"id":%d}`, id)), []byte(v))
		if m.rng.IntN(10) == 0 { // connector failover: the same event again
			h.send("orders", int32(id)%m.parts, []byte(fmt.Sprintf(`{"id":%d}`, id)), []byte(v))
		}
		m.orders[id] = o
		return
	default:
		for k := range m.orders {
			id = k
			break
		}
	}
	key := []byte(fmt.Sprintf(`{"id":%d}`, id))
	p := int32(id) % m.parts
	if m.rng.IntN(3) == 0 {
		h.send("orders", p, key, []byte(envelope(fmt.Sprintf(`{"id":%d}`, id), "null", "d", schema)))
		h.send("orders", p, key, nil) // tombstone
		delete(m.orders, id)
		return
	}
	o := m.orders[id]
	o.cents = m.rng.Int64N(100000)
	h.send("orders", p, key, []byte(envelope(fmt.Sprintf(`{"id":%d}`, id), m.orderAfter(id, o, withSchema), "u", schema)))
	m.orders[id] = o
}

func (m *cdcModel) expectedOrders() string {
	ids := make([]int, 0, len(m.orders))
	for id := range m.orders {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var lines []string
	for _, id := range ids {
		o := m.orders[id]
		lines = append(lines, fmt.Sprintf("%d|%d|%d.%02d", id, o.customer, o.cents/100, o.cents%100))
	}
	return strings.Join(lines, "\n")
}

func (m *cdcModel) expectedCustomers() string {
	ids := make([]int, 0, len(m.customers))
	for id := range m.customers {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var lines []string
	for _, id := range ids {
		lines = append(lines, fmt.Sprintf("%d|%s", id, m.customers[id]))
	}
	return strings.Join(lines, "\n")
}

// readSink reads a topic with read_committed and returns every record.
func readSink(t *testing.T, broker, topic string) []*kgo.Record {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) { out = append(out, r); n++ })
		if n == 0 {
			return out
		}
	}
}

// expectedSinkRecords counts the upsert records the change log of a table
// yields (every change except the U- half of an update).
func expectedSinkRecords(t *testing.T, srv *Server, table uint32) int {
	n := 0
	err := srv.tables.ScanLog(table, 1, func(_ uint64, op types.Op, _ types.Row) error {
		if op != types.UpdateDelete {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func collapse(recs []*kgo.Record) string {
	latest := map[string]string{}
	for _, r := range recs {
		if r.Value == nil {
			delete(latest, string(r.Key))
			continue
		}
		latest[string(r.Key)] = string(r.Value)
	}
	var rows []struct {
		id   int
		line string
	}
	for _, v := range latest {
		var m struct {
			ID       int             `json:"id"`
			Customer int             `json:"customer_id"`
			Amount   json.RawMessage `json:"amount"`
		}
		_ = json.Unmarshal([]byte(v), &m)
		rows = append(rows, struct {
			id   int
			line string
		}{m.ID, fmt.Sprintf("%d|%d|%s", m.ID, m.Customer, string(m.Amount))})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].id < rows[j].id })
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = r.line
	}
	return strings.Join(lines, "\n")
}

func TestKafkaCDCEndToEnd(t *testing.T) {
	h := newKafkaHarness(t, "orders", "customers")
	with := fmt.Sprintf(`WITH (connector = 'kafka', topic = '%%s', properties.bootstrap.server = '%s', scan.startup.mode = 'earliest')`, h.broker)
	h.mustExec(`CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, amount numeric(10,2), ts timestamp) ` + fmt.Sprintf(with, "orders") + ` FORMAT DEBEZIUM ENCODE JSON`)
	h.mustExec(`CREATE TABLE customers (id int PRIMARY KEY, name text, region text) ` + fmt.Sprintf(with, "customers") + ` FORMAT DEBEZIUM ENCODE JSON`)
	h.mustExec(fmt.Sprintf(`CREATE SINK orders_out FROM orders WITH (connector = 'kafka', topic = 'orders_out', properties.bootstrap.server = '%s') FORMAT UPSERT ENCODE JSON`, h.broker))

	m := &cdcModel{rng: rand.New(rand.NewPCG(1, 2)), orders: map[int]order{}, customers: map[int]string{}, parts: 8}
	for range 600 {
		m.step(h)
	}
	converge := func() {
		h.eventually("orders to match", func() (bool, string) {
			got := h.query(`SELECT id, customer_id, amount FROM orders ORDER BY id`)
			return got == m.expectedOrders(), got
		})
		h.eventually("customers to match", func() (bool, string) {
			got := h.query(`SELECT id, name FROM customers ORDER BY id`)
			return got == m.expectedCustomers(), got
		})
	}
	converge()

	// Views over the CDC tables equal the batch recomputation.
	const groupBy = `SELECT customer_id, count(*), sum(amount) FROM orders GROUP BY customer_id`
	const join = `SELECT o.id, c.name, o.amount FROM orders o JOIN customers c ON o.customer_id = c.id`
	h.mustExec(`CREATE MATERIALIZED VIEW by_customer AS ` + groupBy)
	h.mustExec(`CREATE MATERIALIZED VIEW order_names AS ` + join)
	viewsOK := true
	checkViews := func() {
		if !viewsOK {
			return
		}
		h.mustExec(`FLUSH`)
		if got, want := h.query(`SELECT * FROM by_customer ORDER BY 1`), h.query(groupBy+` ORDER BY 1`); got != want {
			t.Errorf("GROUP BY view:\n%s\nbatch:\n%s", got, want)
		}
		if got, want := h.query(`SELECT * FROM order_names ORDER BY 1`), h.query(join+` ORDER BY 1`); got != want {
			t.Errorf("join view:\n%s\nbatch:\n%s", got, want)
		}
	}
	checkViews()

	// Partitions added while running are picked up.
	adm := kadm.NewClient(h.produce)
	if _, err := adm.CreatePartitions(context.Background(), 4, "orders"); err != nil {
		t.Fatal(err)
	}
	h.produce.ForceMetadataRefresh()
	time.Sleep(300 * time.Millisecond) // the producer learns of the new partitions
	m.parts = 12
	for range 300 {
		m.step(h)
	}
	converge()

	// Restart: offsets come from our store; nothing is lost or applied twice.
	h.stop()
	for range 300 {
		m.step(h) // produced while the server is down
	}
	h.start()
	converge()
	checkViews()

	// The sink topic, read with read_committed and collapsed by key,
	// equals the table, and holds each change exactly once.
	ordersOID := mustOID(t, h.srv, "orders")
	want := expectedSinkRecords(t, h.srv, ordersOID)
	h.eventually("sink to catch up", func() (bool, string) {
		recs := readSink(t, h.broker, "orders_out")
		return len(recs) >= want, fmt.Sprintf("%d of %d records", len(recs), want)
	})
	recs := readSink(t, h.broker, "orders_out")
	if len(recs) != want {
		t.Errorf("sink has %d records, the change log %d", len(recs), want)
	}
	if got, wantRows := collapse(recs), h.query(`SELECT id, customer_id, amount FROM orders ORDER BY id`); got != wantRows {
		t.Errorf("sink collapsed by key differs from the table:\n%s\nwant\n%s", got, wantRows)
	}

	if got := h.query(`SELECT count(*) > 0, sum(lag) FROM streamdb.sources WHERE source_name = 'orders'`); got != "t|0" {
		t.Errorf("streamdb.sources: %s", got)
	}

	// A sink from the GROUP BY view, collapsed by key, equals the view.
	h.mustExec(fmt.Sprintf(`CREATE SINK by_customer_out FROM by_customer WITH (connector = 'kafka', topic = 'by_customer_out', properties.bootstrap.server = '%s', primary_key = 'customer_id') FORMAT UPSERT ENCODE JSON`, h.broker))
	viewSinkMatches := func() (bool, string) {
		latest := map[string]string{}
		for _, r := range readSink(t, h.broker, "by_customer_out") {
			if r.Value == nil {
				delete(latest, string(r.Key))
			} else {
				latest[string(r.Key)] = string(r.Value)
			}
		}
		var lines []string
		for _, v := range latest {
			var m struct {
				C   int             `json:"customer_id"`
				N   int             `json:"count"`
				Sum json.RawMessage `json:"sum"`
			}
			_ = json.Unmarshal([]byte(v), &m)
			lines = append(lines, fmt.Sprintf("%02d|%d|%s", m.C, m.N, m.Sum))
		}
		sort.Strings(lines)
		var want []string
		for _, l := range strings.Split(h.query(`SELECT lpad(customer_id::text, 2, '0'), count, sum FROM by_customer`), "\n") {
			want = append(want, l)
		}
		sort.Strings(want)
		got, w := strings.Join(lines, "\n"), strings.Join(want, "\n")
		return got == w, got + "\nwant\n" + w
	}
	h.eventually("view sink to match the view", viewSinkMatches)
	for range 200 {
		m.step(h)
	}
	converge()
	h.stop()
	h.start()
	h.mustExec(`FLUSH`)
	h.eventually("view sink to match the view after a restart", viewSinkMatches)

	h.mustExec(`DROP SINK orders_out`)
	h.mustExec(`DROP SINK IF EXISTS orders_out`)

	// ALTER TABLE restarts the ingester with the new columns.
	h.mustExec(`ALTER TABLE customers ADD COLUMN vip boolean`)
	h.send("customers", 1, []byte(`{"id":1}`), []byte(envelope("null", `{"id":1,"name":"vip1","region":"r","vip":true}`, "c", "")))
	h.eventually("the added column to fill", func() (bool, string) {
		got := h.query(`SELECT name, vip FROM customers WHERE id = 1`)
		return got == "vip1|t", got
	})
}

func mustOID(t *testing.T, srv *Server, name string) uint32 {
	d, ok := srv.cat.LookupRelation("public", name)
	if !ok {
		t.Fatalf("no relation %s", name)
	}
	return d.OID
}

func TestKafkaBadRecords(t *testing.T) {
	h := newKafkaHarness(t, "fail_topic", "skip_topic")
	opts := func(topic, extra string) string {
		return fmt.Sprintf(`WITH (connector = 'kafka', topic = '%s', properties.bootstrap.server = '%s'%s) FORMAT PLAIN ENCODE JSON`, topic, h.broker, extra)
	}
	h.mustExec(`CREATE TABLE fails (id int PRIMARY KEY, v text) ` + opts("fail_topic", ""))
	h.send("fail_topic", 3, nil, []byte(`{"id":1,"v":"a"}`))
	h.send("fail_topic", 3, nil, []byte(`{"id":2,"v":"b"}`))
	h.send("fail_topic", 3, nil, []byte(`{"id":"bad","v":"c"}`))
	h.send("fail_topic", 3, nil, []byte(`{"id":4,"v":"d"}`))
	h.eventually("the source to fail", func() (bool, string) {
		got := h.query(`SELECT status, last_error FROM streamdb.dataflows WHERE relation_name = 'fails'`)
		return strings.HasPrefix(got, "failed|"), got
	})
	if got := h.query(`SELECT last_error FROM streamdb.dataflows WHERE relation_name = 'fails'`); !strings.Contains(got, `topic "fail_topic" partition 3 offset 2`) {
		t.Errorf("error does not name the record: %s", got)
	}
	if got := h.query(`SELECT id FROM fails ORDER BY id`); got != "1\n2" {
		t.Errorf("rows before the bad record: %s", got)
	}

	h.mustExec(`CREATE TABLE skips (id int PRIMARY KEY, v text) ` + opts("skip_topic", ", on_error = 'skip'"))
	// The sizes: 1,000 malformed records among 100,000 valid ones.
	const good, bad = 100_000, 1_000
	var batch []*kgo.Record
	for i := range good + bad {
		v := fmt.Sprintf(`{"id":%d,"v":"x"}`, i)
		if i%((good+bad)/bad) == 7 {
			v = fmt.Sprintf(`{"id":%d,"v":`, i) // truncated JSON
		}
		batch = append(batch, &kgo.Record{Topic: "skip_topic", Partition: int32(i % 8), Value: []byte(v)})
		if len(batch) == 10_000 || i == good+bad-1 {
			if err := h.produce.ProduceSync(context.Background(), batch...).FirstErr(); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	check := func() {
		h.eventually("all records", func() (bool, string) {
			got := h.query(`SELECT (SELECT count(*) FROM skips), (SELECT count(*) FROM streamdb.source_errors WHERE topic = 'skip_topic')`)
			return got == fmt.Sprintf("%d|%d", good, bad), got
		})
	}
	check()
	h.stop()
	h.start()
	time.Sleep(500 * time.Millisecond) // let a (wrong) replay happen
	check()
	if got := h.query(`SELECT count(*) FROM streamdb.source_errors WHERE value_sha256 <> '' AND error LIKE '%invalid JSON%'`); got != fmt.Sprint(bad) {
		t.Errorf("dead letters: %s", got)
	}
}

func TestKafkaSourceAndDDL(t *testing.T) {
	h := newKafkaHarness(t, "events")
	h.mustExec(fmt.Sprintf(`CREATE SOURCE events (id int, v text) WITH (connector = 'kafka', topic = 'events', properties.bootstrap.server = '%s') FORMAT PLAIN ENCODE JSON`, h.broker))
	for i := range 10 {
		h.send("events", int32(i%8), nil, []byte(fmt.Sprintf(`{"id":%d,"v":"e"}`, i%3)))
	}
	h.eventually("events", func() (bool, string) {
		got := h.query(`SELECT count(*), count(DISTINCT id) FROM events`)
		return got == "10|3", got
	})
	for _, c := range []struct{ sql, code string }{
		{fmt.Sprintf(`CREATE TABLE t1 (id int) WITH (connector = 'kafka', topic = 'x', properties.bootstrap.server = '%s') FORMAT DEBEZIUM ENCODE JSON`, h.broker), "42P16"},
		{`CREATE TABLE t2 (id int PRIMARY KEY) WITH (connector = 'kafka', topic = 'x') FORMAT DEBEZIUM ENCODE JSON`, "22023"},
		{fmt.Sprintf(`CREATE TABLE t3 (id int PRIMARY KEY) WITH (connector = 'kafka', topic = 'x', properties.bootstrap.server = '%s') FORMAT DEBEZIUM ENCODE AVRO`, h.broker), "0A000"},
		{`CREATE TABLE t4 (id int PRIMARY KEY) WITH (connector = 'nexmark')`, "0A000"},
		{fmt.Sprintf(`CREATE SINK s1 AS SELECT id FROM events WITH (connector = 'kafka', topic = 'o', properties.bootstrap.server = '%s') FORMAT PLAIN ENCODE JSON`, h.broker), "0A000"},
		{fmt.Sprintf(`CREATE TABLE plain_t (id int PRIMARY KEY); CREATE SINK s2 FROM plain_t WITH (connector = 'kafka', topic = 'o', properties.bootstrap.server = '%s') FORMAT PLAIN ENCODE JSON`, h.broker), "0A000"},
		{`DROP SINK nope`, "42704"},
		{`INSERT INTO events VALUES (1, 'x')`, "0A000"},
		{`UPDATE events SET v = 'y'`, "0A000"},
		{`DELETE FROM events`, "0A000"},
	} {
		err := h.exec(c.sql)
		var pe *pgconn.PgError
		if !errorsAs(err, &pe) || pe.Code != c.code {
			t.Errorf("%s: got %v, want %s", c.sql, err, c.code)
		}
	}
	// A plain sink from an append-only source.
	h.mustExec(fmt.Sprintf(`CREATE SINK events_out FROM events WITH (connector = 'kafka', topic = 'events_out', properties.bootstrap.server = '%s') FORMAT PLAIN ENCODE JSON`, h.broker))
	h.eventually("plain sink", func() (bool, string) {
		n := len(readSink(t, h.broker, "events_out"))
		return n == 10, fmt.Sprint(n)
	})
	h.mustExec(`DROP SINK events_out`)
	h.mustExec(`DROP SOURCE events`)
}

func errorsAs(err error, pe **pgconn.PgError) bool {
	if err == nil {
		return false
	}
	p, ok := err.(*pgconn.PgError)
	if ok {
		*pe = p
	}
	return ok
}

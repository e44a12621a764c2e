package kafka

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/streamdb/streamdb/internal/kafkaconn"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestEncoder(t *testing.T) {
	cols := []Column{{Name: "id", Type: types.Int8}, {Name: "name", Type: types.Text}, {Name: "x", Type: types.Float8}}
	row := func(id int64, name string) types.Row {
		return types.Row{types.DInt(id), types.DString(name), types.DFloat(1.5)}
	}
	render := func(ms []Message) string {
		var b strings.Builder
		for _, m := range ms {
			b.WriteString(string(m.Key) + " => ")
			if m.Value == nil {
				b.WriteString("<tombstone>")
			} else {
				b.Write(m.Value)
			}
			b.WriteString("\n")
		}
		return b.String()
	}
	up, _ := NewEncoder(FormatUpsert, cols, []int{0})
	var ms []Message
	for _, c := range []struct {
		op  types.Op
		row types.Row
	}{{types.Insert, row(1, "a")}, {types.UpdateDelete, row(1, "a")}, {types.UpdateInsert, row(2, "b\"")}, {types.Delete, row(2, "b")}} {
		var err error
		if ms, err = up.Encode(c.op, c.row, ms); err != nil {
			t.Fatal(err)
		}
	}
	want := `{"id":1} => {"id":1,"name":"a","x":1.5}
{"id":1} => <tombstone>
{"id":2} => {"id":2,"name":"b\"","x":1.5}
{"id":2} => <tombstone>
`
	if got := render(ms); got != want {
		t.Errorf("upsert:\n%s\nwant\n%s", got, want)
	}
	dbz, _ := NewEncoder(FormatDebezium, cols, []int{0})
	ms, _ = dbz.Encode(types.UpdateDelete, row(1, "a"), nil)
	ms, _ = dbz.Encode(types.UpdateInsert, row(1, "b"), ms)
	if got := render(ms); !strings.Contains(got, `"before":{"id":1,"name":"a","x":1.5},"after":{"id":1,"name":"b","x":1.5},"op":"u"`) {
		t.Errorf("debezium: %s", got)
	}
	plain, _ := NewEncoder(FormatPlain, cols, nil)
	if _, err := plain.Encode(types.Delete, row(1, "a"), nil); types.Code(err) != types.CodeFeatureNotSupported {
		t.Errorf("plain retraction: %v", err)
	}
	if _, err := NewEncoder(FormatUpsert, cols, nil); err == nil {
		t.Error("upsert without a key must fail")
	}
}

// TestProducerSASL produces transactionally over SASL/PLAIN and
// SASL/SCRAM and reads the committed position back.
func TestProducerSASL(t *testing.T) {
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "out"), kfake.EnableSASL(), kfake.Superuser(mech, "admin", "secret"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			conn, err := kafkaconn.Parse(map[string]string{
				"properties.bootstrap.server": c.ListenAddrs()[0], "properties.security.protocol": "SASL_PLAINTEXT",
				"properties.sasl.mechanism": mech, "properties.sasl.username": "admin", "properties.sasl.password": "secret"})
			if err != nil {
				t.Fatal(err)
			}
			p, err := NewProducer(conn, "out", "test-txn")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for pos := uint64(1); pos <= 3; pos++ {
				if err := p.Produce(ctx, []Message{{Key: []byte{byte(pos)}, Value: []byte("v")}, {Key: []byte("k"), Value: []byte("w")}}, pos*10); err != nil {
					t.Fatal(err)
				}
			}
			got, err := p.CommittedPosition(ctx)
			if err != nil || got != 30 {
				t.Fatalf("committed position %d, %v; want 30", got, err)
			}
			// A second producer with the same transactional id fences the
			// first; Reset re-initialises it.
			p2, err := NewProducer(conn, "out", "test-txn")
			if err != nil {
				t.Fatal(err)
			}
			if err := p2.Produce(ctx, []Message{{Key: []byte("z"), Value: []byte("1")}}, 40); err != nil {
				t.Fatal(err)
			}
			p2.Close()
			if err := p.Produce(ctx, []Message{{Key: []byte("y"), Value: []byte("1")}}, 50); err == nil {
				t.Log("the fenced producer was not refused (broker-dependent)")
			} else if err := p.Reset(); err != nil {
				t.Fatal(err)
			} else if err := p.Produce(ctx, []Message{{Key: []byte("y"), Value: []byte("1")}}, 50); err != nil {
				t.Fatal(err)
			}
			if got, err := p.CommittedPosition(ctx); err != nil || got != 50 {
				t.Fatalf("committed position %d, %v; want 50", got, err)
			}
			// Wrong password: refused.
			bad := conn
			bad.Password = "nope"
			cl, _ := bad.Options()
			client, _ := kgo.NewClient(cl...)
			defer client.Close()
			if err := client.Ping(ctx); err == nil {
				t.Error("wrong password accepted")
			}
		})
	}
}

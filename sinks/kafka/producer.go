package kafka

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/internal/kafkaconn"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// PositionHeader is the record header holding the input position (the
// commit seq of the change) a record was produced for. It makes the sink
// topic its own checkpoint: see Producer.CommittedPosition.
const PositionHeader = "streamdb.position"

// TransactionTimeout is the Kafka transaction timeout of sink producers:
// a transaction left open by a crashed server is aborted by the broker
// after it (or at once, when the restarted sink re-initialises the same
// transactional id). It must not exceed the broker's
// transaction.max.timeout.ms (15 minutes by default).
const TransactionTimeout = time.Minute

// Producer writes batches of records to one topic, each batch in one Kafka
// transaction.
type Producer struct {
	conn  kafkaconn.Conn
	topic string
	txnID string
	cl    *kgo.Client
}

// NewProducer returns a transactional producer with the given
// transactional id (one per sink, stable across restarts).
func NewProducer(conn kafkaconn.Conn, topic, txnID string) (*Producer, error) {
	p := &Producer{conn: conn, topic: topic, txnID: txnID}
	if err := p.connect(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Producer) connect() error {
	opts, err := p.conn.Options()
	if err != nil {
		return types.WithCode(err, types.CodeInvalidParameterValue)
	}
	opts = append(opts,
		kgo.TransactionalID(p.txnID),
		kgo.TransactionTimeout(TransactionTimeout),
		kgo.DefaultProduceTopic(p.topic),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)),
		kgo.AllowAutoTopicCreation(),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return errors.Wrap(err, "kafka producer")
	}
	p.cl = cl
	return nil
}

// Reset closes the client and opens a new one: a fenced or failed
// producer re-initialises its transactional id (which aborts whatever
// transaction the old one left open). The caller then re-reads
// CommittedPosition and retries from there.
func (p *Producer) Reset() error {
	p.cl.Close()
	return p.connect()
}

// Close closes the producer; an open transaction is aborted by the broker.
func (p *Producer) Close() { p.cl.Close() }

// Produce writes msgs, all for input positions up to position, in one
// transaction and commits it.
func (p *Producer) Produce(ctx context.Context, msgs []Message, position uint64) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := p.cl.BeginTransaction(); err != nil {
		return errors.Wrap(err, "begin kafka transaction")
	}
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], position)
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Key: m.Key, Value: m.Value, Headers: []kgo.RecordHeader{{Key: PositionHeader, Value: hdr[:]}}}
	}
	if err := p.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		_ = p.cl.AbortBufferedRecords(context.Background())
		_ = p.cl.EndTransaction(context.Background(), kgo.TryAbort)
		return errors.Wrap(err, "produce")
	}
	if err := p.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return errors.Wrap(err, "commit kafka transaction")
	}
	return nil
}

// CommittedPosition returns the highest input position of a committed
// record in the topic (0 when none): everything up to it is in Kafka, so a
// restarted sink resumes after it. It reads the tail of every partition
// with read_committed, widening the window while a partition with data
// shows only control or aborted records in it.
func (p *Producer) CommittedPosition(ctx context.Context) (uint64, error) {
	opts, err := p.conn.Options()
	if err != nil {
		return 0, err
	}
	admCl, err := kgo.NewClient(opts...)
	if err != nil {
		return 0, errors.Wrap(err, "kafka client")
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	ends, err := adm.ListCommittedOffsets(ctx, p.topic)
	if err != nil {
		return 0, errors.Wrapf(err, "listing offsets of topic %q", p.topic)
	}
	starts, err := adm.ListStartOffsets(ctx, p.topic)
	if err != nil {
		return 0, errors.Wrapf(err, "listing offsets of topic %q", p.topic)
	}
	var best uint64
	pending := map[int32][2]int64{} // partition -> [start, end)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		start := int64(0)
		if s, ok := starts.Lookup(o.Topic, o.Partition); ok && s.Err == nil {
			start = s.Offset
		}
		if o.Offset > start {
			pending[o.Partition] = [2]int64{start, o.Offset}
		}
	})
	for window := int64(64); len(pending) > 0; window *= 8 {
		assign := map[int32]kgo.Offset{}
		for part, r := range pending {
			assign[part] = kgo.NewOffset().At(max(r[0], r[1]-window))
		}
		found, err := p.readTail(ctx, opts, assign, pending)
		if err != nil {
			return 0, err
		}
		for part, pos := range found {
			best = max(best, pos)
			delete(pending, part)
		}
		for part, r := range pending {
			if r[1]-window <= r[0] {
				delete(pending, part) // read whole: only aborted/control records
			}
		}
	}
	return best, nil
}

// readTail reads the assigned partitions up to their end offsets and
// returns the highest position header seen per partition.
func (p *Producer) readTail(ctx context.Context, opts []kgo.Opt, assign map[int32]kgo.Offset, ends map[int32][2]int64) (map[int32]uint64, error) {
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.topic: assign}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(200*time.Millisecond),
	)...)
	if err != nil {
		return nil, errors.Wrap(err, "kafka client")
	}
	defer cl.Close()
	found := map[int32]uint64{}
	done := map[int32]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(done) < len(assign) && time.Now().Before(deadline) {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		fs.EachPartition(func(fp kgo.FetchTopicPartition) {
			for _, r := range fp.Records {
				for _, h := range r.Headers {
					if h.Key == PositionHeader && len(h.Value) == 8 {
						found[r.Partition] = max(found[r.Partition], binary.BigEndian.Uint64(h.Value))
					}
				}
				if r.Offset >= ends[r.Partition][1]-1 {
					done[r.Partition] = true
				}
			}
			// Control records are not returned: the fetch's stable
			// offset tells when the committed tail has been read.
			if fp.LastStableOffset >= 0 && len(fp.Records) == 0 && fp.Err == nil {
				done[fp.Partition] = true
			}
		})
		if fs.Empty() {
			// Nothing more within a poll: the remaining partitions end in
			// control or aborted records.
			break
		}
	}
	return found, nil
}

package kafka

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/internal/kafkaconn"
	"github.com/streamdb/streamdb/sql/types"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Option keys of a Kafka source besides the connection (kafkaconn) ones.
const (
	OptionTopic          = "topic"
	OptionStartupMode    = "scan.startup.mode"
	OptionStartupMillis  = "scan.startup.timestamp.millis"
	OptionOnError        = "on_error"
	OptionMissingColumns = "missing_column_policy"
)

// Config is the configuration of a Kafka source.
type Config struct {
	Conn  kafkaconn.Conn
	Topic string
	// Start is where partitions without a stored offset begin.
	Start kgo.Offset
	// StartMode is the scan.startup.mode word (earliest, latest, timestamp).
	StartMode string
	// SkipBadRecords is on_error = 'skip'.
	SkipBadRecords bool
	// MissingAsNull is missing_column_policy = 'null'.
	MissingAsNull bool
	// Group is the consumer group the consumed offsets are committed to,
	// for lag monitoring by other tools only: they are never read back.
	Group string
	// PartitionCheck is how often new partitions are looked for.
	PartitionCheck time.Duration
}

// ParseConfig reads a source's WITH options.
func ParseConfig(opts map[string]string) (Config, error) {
	var c Config
	var err error
	if c.Conn, err = kafkaconn.Parse(opts); err != nil {
		return c, types.WithCode(err, types.CodeInvalidParameterValue)
	}
	c.Topic = opts[OptionTopic]
	if c.Topic == "" {
		return c, types.Errorf(types.CodeInvalidParameterValue, "option %q is required", OptionTopic)
	}
	c.StartMode = strings.ToLower(opts[OptionStartupMode])
	switch c.StartMode {
	case "", "earliest":
		c.StartMode = "earliest"
		c.Start = kgo.NewOffset().AtStart()
	case "latest":
		c.Start = kgo.NewOffset().AtEnd()
	case "timestamp":
		ms, err := strconv.ParseInt(opts[OptionStartupMillis], 10, 64)
		if err != nil {
			return c, types.Errorf(types.CodeInvalidParameterValue, "option %q must be epoch milliseconds with scan.startup.mode = 'timestamp'", OptionStartupMillis)
		}
		c.Start = kgo.NewOffset().AfterMilli(ms)
	default:
		return c, types.Errorf(types.CodeInvalidParameterValue, "option %q must be 'earliest', 'latest' or 'timestamp'", OptionStartupMode)
	}
	switch strings.ToLower(opts[OptionOnError]) {
	case "", "fail":
	case "skip":
		c.SkipBadRecords = true
	default:
		return c, types.Errorf(types.CodeInvalidParameterValue, "option %q must be 'fail' or 'skip'", OptionOnError)
	}
	switch strings.ToLower(opts[OptionMissingColumns]) {
	case "", "error":
	case "null":
		c.MissingAsNull = true
	default:
		return c, types.Errorf(types.CodeInvalidParameterValue, "option %q must be 'error' or 'null'", OptionMissingColumns)
	}
	c.PartitionCheck = 5 * time.Second
	return c, nil
}

// Record is one consumed Kafka record.
type Record struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Timestamp time.Time
}

// PartitionStats is the progress of one partition.
type PartitionStats struct {
	Partition     int32
	Next          int64 // the next offset to consume
	HighWatermark int64 // -1 while unknown
	Records       int64 // consumed since start
	LastEvent     time.Time
}

// Consumer reads every partition of one topic with read_committed.
//
// Offsets: the caller passes the next offset of each partition it has
// stored (its checkpoint); other partitions start at Config.Start.
// Partitions are assigned directly (kgo.ConsumePartitions), not through a
// group, so the stored offsets are authoritative; partitions created while
// running are found by a metadata check every Config.PartitionCheck and
// added from their start (AddConsumePartitions), whatever the startup
// mode, since every record of a new partition is newer than the source.
type Consumer struct {
	cfg  Config
	cl   *kgo.Client
	adm  *kadm.Client
	stop chan struct{}
	wg   sync.WaitGroup

	mu    sync.Mutex
	known map[int32]bool
	stats map[int32]*PartitionStats
	// lastGroupCommit limits the monitoring commits to one per interval.
	lastGroupCommit time.Time
	watchErr        error
}

// NewConsumer connects and starts fetching.
func NewConsumer(ctx context.Context, cfg Config, resume map[int32]int64) (*Consumer, error) {
	base, err := cfg.Conn.Options()
	if err != nil {
		return nil, types.WithCode(err, types.CodeInvalidParameterValue)
	}
	admCl, err := kgo.NewClient(base...)
	if err != nil {
		return nil, errors.Wrap(err, "kafka client")
	}
	adm := kadm.NewClient(admCl)
	c := &Consumer{cfg: cfg, adm: adm, stop: make(chan struct{}), known: map[int32]bool{}, stats: map[int32]*PartitionStats{}}
	parts, err := c.partitions(ctx)
	if err != nil {
		admCl.Close()
		return nil, err
	}
	assign := map[int32]kgo.Offset{}
	for _, p := range parts {
		c.known[p] = true
		if off, ok := resume[p]; ok {
			assign[p] = kgo.NewOffset().At(off)
			c.stats[p] = &PartitionStats{Partition: p, Next: off, HighWatermark: -1}
		} else {
			assign[p] = cfg.Start
			c.stats[p] = &PartitionStats{Partition: p, Next: -1, HighWatermark: -1}
		}
	}
	opts := append(base,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{cfg.Topic: assign}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		admCl.Close()
		return nil, errors.Wrap(err, "kafka client")
	}
	c.cl = cl
	every := cfg.PartitionCheck
	if every <= 0 {
		every = 5 * time.Second
	}
	c.wg.Add(1)
	go c.watchPartitions(every)
	return c, nil
}

// partitions lists the topic's partitions (none if it does not exist yet).
func (c *Consumer) partitions(ctx context.Context) ([]int32, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	md, err := c.adm.Metadata(ctx, c.cfg.Topic)
	if err != nil {
		return nil, types.WithCode(errors.Wrapf(err, "reading metadata of topic %q", c.cfg.Topic), types.CodeConnectionFailure)
	}
	t, ok := md.Topics[c.cfg.Topic]
	if !ok || t.Err != nil {
		return nil, nil
	}
	out := make([]int32, 0, len(t.Partitions))
	for p := range t.Partitions {
		out = append(out, p)
	}
	return out, nil
}

func (c *Consumer) watchPartitions(every time.Duration) {
	defer c.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-c.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		parts, err := c.partitions(ctx)
		cancel()
		c.mu.Lock()
		c.watchErr = err
		added := map[int32]kgo.Offset{}
		for _, p := range parts {
			if !c.known[p] {
				c.known[p] = true
				c.stats[p] = &PartitionStats{Partition: p, Next: -1, HighWatermark: -1}
				added[p] = kgo.NewOffset().AtStart()
			}
		}
		c.mu.Unlock()
		if len(added) > 0 {
			c.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{c.cfg.Topic: added})
		}
	}
}

// Poll waits for records (at most max) and returns them in offset order
// per partition. It returns ctx's error when ctx ends first.
func (c *Consumer) Poll(ctx context.Context, max int, dst []Record) ([]Record, error) {
	fs := c.cl.PollRecords(ctx, max)
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	var fetchErr error
	fs.EachError(func(topic string, p int32, err error) {
		if fetchErr == nil && !errors.Is(err, context.Canceled) {
			fetchErr = errors.Wrapf(err, "fetching topic %q partition %d", topic, p)
		}
	})
	now := time.Now()
	c.mu.Lock()
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		st := c.stats[fp.Partition]
		if st == nil {
			st = &PartitionStats{Partition: fp.Partition, Next: -1}
			c.stats[fp.Partition] = st
		}
		st.HighWatermark = fp.HighWatermark
		for _, r := range fp.Records {
			dst = append(dst, Record{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp})
			st.LastEvent = now
		}
	})
	c.mu.Unlock()
	if len(dst) == 0 && fetchErr != nil {
		return dst, types.WithCode(fetchErr, types.CodeConnectionFailure)
	}
	return dst, nil
}

// Applied records that the records up to next-1 of partition p are stored
// by the caller (for lag and for the monitoring commit).
func (c *Consumer) Applied(p int32, next int64, n int64) {
	c.mu.Lock()
	st := c.stats[p]
	if st == nil {
		st = &PartitionStats{Partition: p, HighWatermark: -1}
		c.stats[p] = st
	}
	st.Next = next
	st.Records += n
	c.mu.Unlock()
}

// CommitForMonitoring commits the applied offsets to the consumer group
// (at most every 5 s) so that lag tools see the source's progress. The
// offsets are never read back: restarts use the caller's checkpoint.
func (c *Consumer) CommitForMonitoring(ctx context.Context) {
	if c.cfg.Group == "" {
		return
	}
	c.mu.Lock()
	if time.Since(c.lastGroupCommit) < 5*time.Second {
		c.mu.Unlock()
		return
	}
	c.lastGroupCommit = time.Now()
	offs := kadm.Offsets{}
	for p, st := range c.stats {
		if st.Next >= 0 {
			offs.Add(kadm.Offset{Topic: c.cfg.Topic, Partition: p, At: st.Next, LeaderEpoch: -1})
		}
	}
	c.mu.Unlock()
	if len(offs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, _ = c.adm.CommitOffsets(ctx, c.cfg.Group, offs)
}

// Stats returns the progress of every partition, by partition number.
func (c *Consumer) Stats() []PartitionStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]PartitionStats, 0, len(c.stats))
	for _, st := range c.stats {
		out = append(out, *st)
	}
	sortStats(out)
	return out
}

func sortStats(s []PartitionStats) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].Partition < s[j-1].Partition; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Close stops fetching and closes the connections.
func (c *Consumer) Close() {
	close(c.stop)
	c.wg.Wait()
	c.cl.Close()
	c.adm.Close()
}

package nexmark

import (
	"math"
	"strconv"
	"strings"

	"github.com/streamdb/streamdb/sql/types"
)

// Kind is the type of an event.
type Kind uint8

const (
	KindPerson Kind = iota
	KindAuction
	KindBid
)

func (k Kind) String() string {
	switch k {
	case KindPerson:
		return "person"
	case KindAuction:
		return "auction"
	}
	return "bid"
}

// ParseKind reads a nexmark.table.type option value.
func ParseKind(s string) (Kind, bool) {
	switch strings.ToLower(s) {
	case "person":
		return KindPerson, true
	case "auction":
		return KindAuction, true
	case "bid":
		return KindBid, true
	}
	return 0, false
}

// Constants of the Java generator (GeneratorConfig, *Generator.java).
const (
	FirstPersonID   = 1000
	FirstAuctionID  = 1000
	FirstCategoryID = 10
	NumCategories   = 5
	// hotBlock is HOT_SELLER_RATIO / HOT_AUCTION_RATIO / HOT_BIDDER_RATIO:
	// the hot key is the first (second for bidders) of the latest block.
	hotBlock       = 100
	personIDLead   = 10
	auctionIDLead  = 10
	minStringLen   = 3
	channelsNumber = 10000
	hotChannels    = 2 // HOT_CHANNELS_RATIO: one bid in 2 uses a named channel
)

// DefaultBaseTime is the event time of event 0: 2015-07-15 00:00:00 UTC
// (Beam's NexmarkUtils base time), in Unix milliseconds.
const DefaultBaseTime = 1436918400000

// Config parameterises a generator. The zero value is not valid; start
// from DefaultConfig.
type Config struct {
	// EventCount is how many events (of all kinds) the stream has; 0 means
	// unbounded.
	EventCount int64
	// EventGapNanos is the event-time distance between consecutive events
	// (10^9 / firstEventRate).
	EventGapNanos int64
	// BaseTimeMillis is the event time of event 0.
	BaseTimeMillis int64
	// Seed 0 reproduces the Java generator; other values give other,
	// equally deterministic streams whose neighbouring events are not
	// correlated (see eventSeed).
	Seed int64

	PersonProportion, AuctionProportion, BidProportion    int64
	HotAuctionRatio, HotSellersRatio, HotBiddersRatio     int32
	NumActivePeople, NumInFlightAuctions                  int64
	AvgPersonByteSize, AvgAuctionByteSize, AvgBidByteSize int
}

// DefaultConfig is NexmarkConfiguration's defaults (10,000 events/s of
// event time) with the given event count.
func DefaultConfig(events int64) Config {
	return Config{
		EventCount: events, EventGapNanos: 100_000, BaseTimeMillis: DefaultBaseTime,
		PersonProportion: 1, AuctionProportion: 3, BidProportion: 46,
		HotAuctionRatio: 2, HotSellersRatio: 4, HotBiddersRatio: 4,
		NumActivePeople: 1000, NumInFlightAuctions: 100,
		AvgPersonByteSize: 200, AvgAuctionByteSize: 500, AvgBidByteSize: 100,
	}
}

func (c *Config) totalProportion() int64 {
	return c.PersonProportion + c.AuctionProportion + c.BidProportion
}

// Validate reports a configuration the generator cannot run.
func (c *Config) Validate() error {
	switch {
	case c.EventCount < 0:
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark event count must not be negative")
	case c.EventGapNanos <= 0:
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark event gap must be positive")
	case c.PersonProportion <= 0 || c.AuctionProportion <= 0 || c.BidProportion <= 0:
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark proportions must be positive")
	case c.HotAuctionRatio <= 0 || c.HotSellersRatio <= 0 || c.HotBiddersRatio <= 0:
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark hot ratios must be positive")
	case c.NumActivePeople <= 0 || c.NumInFlightAuctions <= 0:
		return types.Errorf(types.CodeInvalidParameterValue, "nexmark active people and in-flight auctions must be positive")
	}
	return nil
}

// Columns returns the schema of the rows of kind k (the column types of
// nexmark-queries.sql).
func Columns(k Kind) []types.Column {
	col := func(n string, t *types.T) types.Column { return types.Column{Name: n, Type: t} }
	switch k {
	case KindPerson:
		return []types.Column{col("id", types.Int8), col("name", types.Varchar), col("email_address", types.Varchar),
			col("credit_card", types.Varchar), col("city", types.Varchar), col("state", types.Varchar),
			col("date_time", types.Timestamp), col("extra", types.Varchar)}
	case KindAuction:
		return []types.Column{col("id", types.Int8), col("item_name", types.Varchar), col("description", types.Varchar),
			col("initial_bid", types.Int8), col("reserve", types.Int8), col("date_time", types.Timestamp),
			col("expires", types.Timestamp), col("seller", types.Int8), col("category", types.Int8), col("extra", types.Varchar)}
	}
	return []types.Column{col("auction", types.Int8), col("bidder", types.Int8), col("price", types.Int8),
		col("channel", types.Varchar), col("url", types.Varchar), col("date_time", types.Timestamp), col("extra", types.Varchar)}
}

var (
	usStates   = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	usCities   = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	firstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	lastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	hotNames   = []string{"Google", "Facebook", "Baidu", "Apple"}
)

// Generator produces the events of one Config in order. It is not safe for
// concurrent use; its whole position is Next().
type Generator struct {
	cfg Config
	// next is the number of the next event (0-based).
	next int64
	// hotURLs and channelURLs are the fixed URLs of the named channels and
	// of channel-N.
	hotURLs     [4]string
	channelURLs []string
	// channelNames caches "channel-N".
	channelNames []string
	sb           strings.Builder
}

// New returns a generator positioned at event 0.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg}
	urlRand := newJavaRandom(cfg.Seed ^ 0x6e65786d61726b) // "nexmark"
	for i := range g.hotURLs {
		g.hotURLs[i] = g.baseURL(&urlRand)
	}
	return g, nil
}

// Config returns the generator's configuration.
func (g *Generator) Config() Config { return g.cfg }

// Next returns the number of the next event to be generated: the resume
// position to store with the rows produced so far.
func (g *Generator) Next() int64 { return g.next }

// SetNext positions the generator at event n (restart from a stored Next).
func (g *Generator) SetNext(n int64) { g.next = n }

// Done reports whether a bounded stream has produced all its events.
func (g *Generator) Done() bool { return g.cfg.EventCount > 0 && g.next >= g.cfg.EventCount }

// KindOf returns the kind of event number n.
func (g *Generator) KindOf(n int64) Kind {
	rem := (n) % g.cfg.totalProportion()
	switch {
	case rem < g.cfg.PersonProportion:
		return KindPerson
	case rem < g.cfg.PersonProportion+g.cfg.AuctionProportion:
		return KindAuction
	}
	return KindBid
}

// TimestampMillis is the event time of event n
// (GeneratorConfig.timestampAndInterEventDelayUsForEvent at a constant rate).
func (g *Generator) TimestampMillis(n int64) int64 {
	return g.cfg.BaseTimeMillis + int64(float64(n)*(float64(g.cfg.EventGapNanos)/1000))/1000
}

// AppendRows generates events until it has appended max rows of kind k to
// dst, the stream ends, or it has skipped maxScan events; it returns dst.
// Events of other kinds are skipped without drawing their fields (each
// event has its own Random, so skipping does not change the others).
func (g *Generator) AppendRows(dst []types.Row, k Kind, max int, maxScan int64) []types.Row {
	width := len(Columns(k))
	// Rows are carved out of blocks of datums: one allocation per block,
	// not one per row.
	var block []types.Datum
	added := 0
	for scanned := int64(0); added < max && scanned < maxScan && !g.Done(); scanned++ {
		n := g.next
		g.next++
		if g.KindOf(n) != k {
			continue
		}
		if len(block) < width {
			block = make([]types.Datum, width*min(max-added, rowBlock))
		}
		row := types.Row(block[:width:width])
		block = block[width:]
		g.fill(row, n)
		dst = append(dst, row)
		added++
	}
	return dst
}

// rowBlock is how many rows AppendRows allocates at a time.
const rowBlock = 256

// Event returns the row of event number n (of kind KindOf(n)).
func (g *Generator) Event(n int64) types.Row {
	row := make(types.Row, len(Columns(g.KindOf(n))))
	g.fill(row, n)
	return row
}

// fill sets row (of the width of event n's kind) to event n.
func (g *Generator) fill(row types.Row, n int64) {
	rnd := newJavaRandom(g.eventSeed(n))
	ts := g.TimestampMillis(n)
	switch g.KindOf(n) {
	case KindPerson:
		g.person(row, n, &rnd, ts)
	case KindAuction:
		g.auction(row, n, &rnd, ts)
	default:
		g.bid(row, n, &rnd, ts)
	}
}

// eventSeed is the seed of event n's Random. Java seeds with n itself; the
// first draws of java.util.Randoms with nearby seeds are strongly
// correlated (the first nextInt(2) is the same for runs of ~5,600
// consecutive seeds), so with Seed 0 the hot/cold choices come in long
// runs, exactly as in Java. Other seeds hash (splitmix64) seed and n, which
// decorrelates neighbouring events: better for small test datasets.
func (g *Generator) eventSeed(n int64) int64 {
	if g.cfg.Seed == 0 {
		return n
	}
	z := uint64(n) + uint64(g.cfg.Seed)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return int64(z ^ (z >> 31))
}

func tsDatum(millis int64) types.Datum { return types.DTimestamp(millis * 1000) }

func (g *Generator) person(row types.Row, n int64, rnd *javaRandom, ts int64) {
	id := g.lastBase0PersonID(n) + FirstPersonID
	name := firstNames[rnd.nextInt(int32(len(firstNames)))] + " " + lastNames[rnd.nextInt(int32(len(lastNames)))]
	email := g.nextString(rnd, 7, ' ') + "@" + g.nextString(rnd, 5, ' ') + ".com"
	g.sb.Reset()
	g.sb.Grow(19)
	for i := 0; i < 4; i++ {
		if i > 0 {
			g.sb.WriteByte(' ')
		}
		v := rnd.nextInt(10000)
		s := strconv.Itoa(int(v))
		for j := len(s); j < 4; j++ {
			g.sb.WriteByte('0')
		}
		g.sb.WriteString(s)
	}
	card := g.sb.String()
	city := usCities[rnd.nextInt(int32(len(usCities)))]
	state := usStates[rnd.nextInt(int32(len(usStates)))]
	size := 8 + len(name) + len(email) + len(card) + len(city) + len(state)
	extra := g.nextExtra(rnd, size, g.cfg.AvgPersonByteSize)
	row[0], row[1], row[2], row[3] = types.DInt(id), types.DString(name), types.DString(email), types.DString(card)
	row[4], row[5], row[6], row[7] = types.DString(city), types.DString(state), tsDatum(ts), types.DString(extra)
}

func (g *Generator) auction(row types.Row, n int64, rnd *javaRandom, ts int64) {
	id := g.lastBase0AuctionID(n) + FirstAuctionID
	var seller int64
	if rnd.nextInt(g.cfg.HotSellersRatio) > 0 {
		seller = (g.lastBase0PersonID(n) / hotBlock) * hotBlock
	} else {
		seller = g.nextBase0PersonID(n, rnd)
	}
	seller += FirstPersonID
	category := int64(FirstCategoryID) + int64(rnd.nextInt(NumCategories))
	initialBid := nextPrice(rnd)
	expires := ts + g.nextAuctionLengthMillis(n, rnd, ts)
	name := g.nextString(rnd, 20, ' ')
	desc := g.nextString(rnd, 100, ' ')
	reserve := initialBid + nextPrice(rnd)
	size := 8 + len(name) + len(desc) + 8 + 8 + 8 + 8 + 8
	extra := g.nextExtra(rnd, size, g.cfg.AvgAuctionByteSize)
	row[0], row[1], row[2], row[3], row[4] = types.DInt(id), types.DString(name), types.DString(desc), types.DInt(initialBid), types.DInt(reserve)
	row[5], row[6], row[7], row[8], row[9] = tsDatum(ts), tsDatum(expires), types.DInt(seller), types.DInt(category), types.DString(extra)
}

func (g *Generator) bid(row types.Row, n int64, rnd *javaRandom, ts int64) {
	var auction int64
	if rnd.nextInt(g.cfg.HotAuctionRatio) > 0 {
		auction = (g.lastBase0AuctionID(n) / hotBlock) * hotBlock
	} else {
		auction = g.nextBase0AuctionID(n, rnd)
	}
	auction += FirstAuctionID
	var bidder int64
	if rnd.nextInt(g.cfg.HotBiddersRatio) > 0 {
		bidder = (g.lastBase0PersonID(n)/hotBlock)*hotBlock + 1
	} else {
		bidder = g.nextBase0PersonID(n, rnd)
	}
	bidder += FirstPersonID
	price := nextPrice(rnd)
	var channel, url string
	if rnd.nextInt(hotChannels) > 0 {
		i := rnd.nextInt(int32(len(hotNames)))
		channel, url = hotNames[i], g.hotURLs[i]
	} else {
		c := int(rnd.nextInt(channelsNumber))
		channel, url = g.channelName(c), g.channelURL(c)
	}
	// The Java generator adds FIRST_PERSON_ID to the bidder a second time
	// (BidGenerator.nextBid); kept so that results compare with Flink's.
	bidder += FirstPersonID
	extra := g.nextExtra(rnd, 8+8+8+8, g.cfg.AvgBidByteSize)
	row[0], row[1], row[2], row[3] = types.DInt(auction), types.DInt(bidder), types.DInt(price), types.DString(channel)
	row[4], row[5], row[6] = types.DString(url), tsDatum(ts), types.DString(extra)
}

// channelName is "channel-c", built once per channel.
func (g *Generator) channelName(c int) string {
	if g.channelNames == nil {
		g.channelNames = make([]string, channelsNumber)
	}
	if s := g.channelNames[c]; s != "" {
		return s
	}
	s := "channel-" + strconv.Itoa(c)
	g.channelNames[c] = s
	return s
}

// channelURL is the URL of channel-c: a base URL, with a channel_id
// parameter 9 times in 10 (BidGenerator.CHANNEL_URL_CACHE). Built lazily,
// once per channel.
func (g *Generator) channelURL(c int) string {
	if g.channelURLs == nil {
		g.channelURLs = make([]string, channelsNumber)
	}
	if u := g.channelURLs[c]; u != "" {
		return u
	}
	rnd := newJavaRandom(g.cfg.Seed ^ int64(c+1)*0x2545F4914F6CDD1D)
	u := g.baseURL(&rnd)
	if rnd.nextInt(10) > 0 {
		u += "&channel_id=" + strconv.FormatInt(absInt32(reverseInt32(int32(c))), 10)
	}
	g.channelURLs[c] = u
	return u
}

func reverseInt32(v int32) int32 {
	u := uint32(v)
	var r uint32
	for i := 0; i < 32; i++ {
		r = r<<1 | u&1
		u >>= 1
	}
	return int32(r)
}

// absInt32 is Java's Math.abs(int) widened (abs(MinInt32) stays negative
// in Java; widened here it prints the same digits with the sign).
func absInt32(v int32) int64 {
	if v < 0 && v != math.MinInt32 {
		return int64(-v)
	}
	return int64(v)
}

func (g *Generator) baseURL(rnd *javaRandom) string {
	return "https://www.nexmark.com/" + g.nextString(rnd, 5, '_') + "/" + g.nextString(rnd, 5, '_') + "/" +
		g.nextString(rnd, 5, '_') + "/item.htm?query=1"
}

// lastBase0PersonID is the 0-based id of the latest person at event n.
func (g *Generator) lastBase0PersonID(n int64) int64 {
	total := g.cfg.totalProportion()
	epoch, offset := n/total, n%total
	if offset >= g.cfg.PersonProportion {
		offset = g.cfg.PersonProportion - 1
	}
	return epoch*g.cfg.PersonProportion + offset
}

// nextBase0PersonID picks a recent person (or one a little ahead).
func (g *Generator) nextBase0PersonID(n int64, rnd *javaRandom) int64 {
	people := g.lastBase0PersonID(n) + 1
	active := min(people, g.cfg.NumActivePeople)
	return people - active + rnd.nextLongBelow(active+personIDLead)
}

// lastBase0AuctionID is the 0-based id of the latest auction at event n.
func (g *Generator) lastBase0AuctionID(n int64) int64 {
	c := &g.cfg
	total := c.totalProportion()
	epoch, offset := n/total, n%total
	switch {
	case offset < c.PersonProportion:
		epoch--
		offset = c.AuctionProportion - 1
	case offset >= c.PersonProportion+c.AuctionProportion:
		offset = c.AuctionProportion - 1
	default:
		offset -= c.PersonProportion
	}
	return epoch*c.AuctionProportion + offset
}

// nextBase0AuctionID picks one of the in-flight auctions (or a little ahead).
func (g *Generator) nextBase0AuctionID(n int64, rnd *javaRandom) int64 {
	maxAuction := g.lastBase0AuctionID(n)
	minAuction := max(maxAuction-g.cfg.NumInFlightAuctions, 0)
	return minAuction + rnd.nextLongBelow(maxAuction-minAuction+1+auctionIDLead)
}

// nextAuctionLengthMillis is uniform in [1, 2 x the event time needed for
// NumInFlightAuctions more auctions].
func (g *Generator) nextAuctionLengthMillis(n int64, rnd *javaRandom, ts int64) int64 {
	eventsForAuctions := (g.cfg.NumInFlightAuctions * g.cfg.totalProportion()) / g.cfg.AuctionProportion
	horizon := g.TimestampMillis(n+eventsForAuctions) - ts
	return 1 + rnd.nextLongBelow(max(horizon*2, 1))
}

// nextPrice is log-uniform in [100, 10^8] (PriceGenerator.nextPrice).
func nextPrice(rnd *javaRandom) int64 {
	return int64(math.Floor(math.Pow(10, rnd.nextDouble()*6)*100 + 0.5))
}

// nextString is StringsGenerator.nextString: 3..maxLen-1 lower-case
// letters, one in 13 replaced by special, then trimmed of spaces.
func (g *Generator) nextString(rnd *javaRandom, maxLen int32, special byte) string {
	n := minStringLen + rnd.nextInt(maxLen-minStringLen)
	g.sb.Reset()
	g.sb.Grow(int(n))
	for ; n > 0; n-- {
		if rnd.nextInt(13) == 0 {
			g.sb.WriteByte(special)
		} else {
			g.sb.WriteByte(byte('a' + rnd.nextInt(26)))
		}
	}
	return strings.Trim(g.sb.String(), " ")
}

// nextExtra pads a record to about avg bytes (+-20 %).
func (g *Generator) nextExtra(rnd *javaRandom, current, avg int) string {
	if current > avg {
		return ""
	}
	avg -= current
	delta := int(math.Floor(float64(avg)*0.2 + 0.5))
	size := avg - delta
	if delta != 0 {
		size += int(rnd.nextInt(int32(2 * delta)))
	}
	g.sb.Reset()
	g.sb.Grow(size)
	for i := 0; i < size; i++ {
		g.sb.WriteByte(byte('a' + rnd.nextInt(26)))
	}
	return g.sb.String()
}

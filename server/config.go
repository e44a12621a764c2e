package server

import (
	"fmt"
	"log/slog"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/cockroachdb/errors"
)

// A configuration key is set the same way whether it comes from the config
// file (TOML), from `--set key=value` or from a dedicated flag: every value
// is turned into its text form and goes through ApplySetting, so the
// validation and the error messages are the same everywhere.

// settingKind says how a value is parsed and validated.
type settingKind int

const (
	kindString settingKind = iota
	kindAddress
	kindDuration
	kindSize
	kindInt
	kindEnum
)

// configKey documents one configuration key: its default (as text, as a user
// would write it), what it means, and how it is stored in Options.
type configKey struct {
	name    string
	kind    settingKind
	def     string
	doc     string
	choices []string // kindEnum only
	// allowNegative lets a kindInt key take negative values.
	allowNegative bool
	// apply stores a validated value. Keys without a field in Options have a
	// nil apply: their normalized text goes into Options.Settings.
	apply func(o *Options, v parsedValue)
}

// parsedValue carries a validated value in every form a key may need.
type parsedValue struct {
	text     string
	integer  int64
	duration time.Duration
}

// configKeys is the table of documented keys, in the order README lists
// them. It is built once and never changed.
var configKeys = []configKey{
	{name: "listen", kind: kindAddress, def: "127.0.0.1:5544",
		doc:   "pgwire address (host:port); port 0 picks a free port",
		apply: func(o *Options, v parsedValue) { o.Listen = v.text }},
	{name: "http", kind: kindString, def: "127.0.0.1:5545",
		doc:   "HTTP address for /metrics and /healthz; empty or \"-\" disables it",
		apply: func(o *Options, v parsedValue) { o.HTTP = v.text }},
	{name: "data_dir", kind: kindString, def: "./streamdb-data",
		doc:   "directory holding the table logs and the state store",
		apply: func(o *Options, v parsedValue) { o.DataDir = v.text }},
	{name: "restore_from", kind: kindString, def: "",
		doc:   "savepoint URL to start from (same as --restore-from); the data directory must not hold a table store yet",
		apply: func(o *Options, v parsedValue) { o.RestoreFrom = v.text }},
	{name: "checkpoint.dir", kind: kindString, def: "file://<data_dir>/checkpoints",
		doc:   "checkpoint store URL: file://, s3://, gs://, azblob://",
		apply: func(o *Options, v parsedValue) { o.CheckpointDir = v.text }},
	{name: "checkpoint.interval", kind: kindDuration, def: "10s",
		doc:   "time between periodic checkpoints; skipped when nothing changed",
		apply: func(o *Options, v parsedValue) { o.CheckpointInterval = v.duration }},
	{name: "checkpoint.min_pause", kind: kindDuration, def: "1s",
		doc: "minimum pause between the end of one checkpoint and the start of the next"},
	{name: "checkpoint.timeout", kind: kindDuration, def: "10m",
		doc: "a checkpoint still running after this is aborted (it wrote no manifest; its uploads are garbage-collected)"},
	{name: "checkpoint.retain", kind: kindInt, def: "3",
		doc: "number of completed checkpoints kept, plus the newest full one"},
	{name: "checkpoint.full_every", kind: kindInt, def: "100",
		doc: "every Nth checkpoint is self-contained (full)"},
	{name: "checkpoint.flush_memtables", kind: kindEnum, def: "on", choices: []string{"on", "off"},
		doc: "on: flush the stores' memtables before each capture (uploads only SSTs); off: copy the WAL instead (no flush to wait for, but the writes since the last flush are uploaded with every checkpoint)"},
	{name: "state.block_cache_size", kind: kindSize, def: "256MiB",
		doc:   "Pebble block cache",
		apply: func(o *Options, v parsedValue) { o.BlockCacheSize = v.integer }},
	{name: "state.row_cache_size", kind: kindSize, def: "64MiB",
		doc:   "row cache for key lookups on materialized views (WHERE on the leading columns): answers kept decoded-ready in memory, updated by every epoch; 0: off",
		apply: func(o *Options, v parsedValue) { o.RowCacheSize = rowCacheSizeOption(v.integer) }},
	{name: "state.memtable_size", kind: kindSize, def: "64MiB",
		doc:   "size of one memtable (write buffer); hdd profile 128MiB",
		apply: func(o *Options, v parsedValue) { o.MemtableSize = v.integer }},
	{name: "state.memtable_count", kind: kindInt, def: "2",
		doc:   "memtables kept before writes stall",
		apply: func(o *Options, v parsedValue) { o.MemtableCount = int(v.integer) }},
	{name: "state.compaction_concurrency", kind: kindInt, def: "2",
		doc:   "concurrent background compactions; hdd profile 1",
		apply: func(o *Options, v parsedValue) { o.CompactionConcurrency = int(v.integer) }},
	{name: "state.bloom_bits_per_key", kind: kindInt, def: "10", allowNegative: true,
		doc:   "bloom filter bits per key; a negative value disables bloom filters",
		apply: func(o *Options, v parsedValue) { o.BloomBitsPerKey = int(v.integer) }},
	{name: "state.l0_compaction_threshold", kind: kindInt, def: "32",
		doc:   "L0 sublevels that trigger a compaction (level0_file_num_compaction_trigger); high because working state is in memory and a deeper L0 means fewer rewritten (re-uploaded) files per checkpoint",
		apply: func(o *Options, v parsedValue) { o.L0CompactionThreshold = int(v.integer) }},
	{name: "state.compression", kind: kindEnum, def: "snappy", choices: []string{"none", "snappy", "zstd"},
		doc:   "SST block compression; hdd profile zstd",
		apply: func(o *Options, v parsedValue) { o.Compression = v.text }},
	{name: "state.profile", kind: kindEnum, def: "ssd", choices: []string{"ssd", "hdd"},
		doc:   "preset for the state.* keys not given explicitly",
		apply: func(o *Options, v parsedValue) { o.Profile = v.text }},
	{name: "barrier_interval", kind: kindDuration, def: "1s",
		doc:   "dataflow epoch length: how often materialized views advance (FLUSH advances them at once)",
		apply: func(o *Options, v parsedValue) { o.BarrierInterval = v.duration }},
	{name: "views.parallelism", kind: kindInt, def: "0",
		doc:   "workers per materialized view dataflow, each owning a contiguous range of the 128 key groups; 0: the number of cores; a view's WITH (parallelism = N) overrides it",
		apply: func(o *Options, v parsedValue) { o.ViewParallelism = int(v.integer) }},
	{name: "views.max_epoch_rows", kind: kindInt, def: "65536",
		doc:   "change-log rows of each table a materialized view reads per epoch at most; a view behind its tables (after a restart) catches up in epochs of this size, so its output flows meanwhile; 0: no bound",
		apply: func(o *Options, v parsedValue) { o.ViewMaxEpochRows = unboundedIfZero(v.integer) }},
	{name: "sources.max_backlog_rows", kind: kindInt, def: "1048576",
		doc:   "rows a nexmark source writes ahead of the slowest materialized view reading it at most (backpressure: the generator pauses beyond it); 0: no bound",
		apply: func(o *Options, v parsedValue) { o.SourceMaxBacklogRows = int64(unboundedIfZero(v.integer)) }},
	{name: "max_connections", kind: kindInt, def: "100",
		doc:   "pgwire connection limit (53300 beyond it)",
		apply: func(o *Options, v parsedValue) { o.MaxConnections = int(v.integer) }},
	{name: "max_message_size", kind: kindSize, def: "64MiB",
		doc: "largest accepted protocol message (08P01 beyond it)",
		apply: func(o *Options, v parsedValue) {
			if v.integer > math.MaxInt32 {
				v.integer = math.MaxInt32
			}
			o.MaxMessageSize = int(v.integer)
		}},
	{name: "auth.method", kind: kindEnum, def: "scram-sha-256", choices: []string{"scram-sha-256", "password"},
		doc:   "password authentication used when [users] is not empty",
		apply: func(o *Options, v parsedValue) { o.AuthMethod = v.text }},
	{name: "authentication_timeout", kind: kindDuration, def: "60s",
		doc: "time allowed for the startup and authentication of a connection"},
	{name: "superuser_reserved_connections", kind: kindInt, def: "3",
		doc: "connection slots of max_connections kept for the streamdb superuser"},
	{name: "tls.cert_file", kind: kindString, def: "",
		doc: "PEM certificate (chain) of the pgwire port; with tls.key_file it enables TLS (sslmode=require/verify-full)"},
	{name: "tls.key_file", kind: kindString, def: "",
		doc: "PEM private key of tls.cert_file"},
	{name: "tls.required", kind: kindEnum, def: "off", choices: []string{"on", "off"},
		doc: "on: refuse connections that did not negotiate TLS (28000), before authentication"},
	{name: "users.<name>", kind: kindString, def: "",
		doc: "password (or SCRAM-SHA-256 verifier) of user <name>; no users means trust authentication, allowed on loopback only"},
	{name: "runtime.gc_percent", kind: kindInt, def: "200", allowNegative: true,
		doc:   "Go garbage collector target (GOGC) of the server process; negative leaves the runtime's own setting alone, 0 takes the default; the GOGC environment variable wins when set",
		apply: func(o *Options, v parsedValue) { o.GCPercent = int(v.integer) }},
	{name: "log.level", kind: kindEnum, def: "info", choices: []string{"debug", "info", "warn", "error"},
		doc: "log level"},
	{name: "log.format", kind: kindEnum, def: "text", choices: []string{"text", "json"},
		doc: "log format on stderr"},
}

// usersPrefix is the prefix of the per-user keys ([users] table in TOML).
const usersPrefix = "users."

// lookupConfigKey finds a documented key.
func lookupConfigKey(name string) (*configKey, bool) {
	for i := range configKeys {
		if configKeys[i].name == name {
			return &configKeys[i], true
		}
	}
	return nil, false
}

// ApplySetting sets one configuration key from its text form. An unknown key
// is an error naming it; a bad value is an error naming key and value.
// Keys without a dedicated Options field are stored, normalized, in
// opts.Settings; read them with Setting.
func ApplySetting(opts *Options, key, value string) error {
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, usersPrefix) {
		user := strings.TrimPrefix(key, usersPrefix)
		if user == "" || strings.ContainsAny(user, " \t\"'") {
			return errors.Newf("config key %q: bad user name %q", key, user)
		}
		if value == "" {
			return errors.Newf("config key %q: empty password", key)
		}
		if opts.Users == nil {
			opts.Users = make(map[string]string)
		}
		opts.Users[user] = value
		return nil
	}
	k, ok := lookupConfigKey(key)
	if !ok {
		return errors.Newf("unknown config key %q", key)
	}
	v, err := k.parse(value)
	if err != nil {
		return errors.Wrapf(err, "config key %q: bad value %q", key, value)
	}
	if k.apply != nil {
		k.apply(opts, v)
		return nil
	}
	if opts.Settings == nil {
		opts.Settings = make(map[string]string)
	}
	opts.Settings[key] = v.text
	return nil
}

// parse validates value for the key and returns it in normalized form.
func (k *configKey) parse(value string) (parsedValue, error) {
	value = strings.TrimSpace(value)
	switch k.kind {
	case kindString:
		if k.name == "http" && value == "" {
			// --http "" disables the HTTP listener; Options spells that "-".
			value = "-"
		}
		return parsedValue{text: value}, nil
	case kindAddress:
		if value == "" || !strings.Contains(value, ":") {
			return parsedValue{}, errors.New("want host:port")
		}
		if _, err := strconv.ParseUint(value[strings.LastIndexByte(value, ':')+1:], 10, 16); err != nil {
			return parsedValue{}, errors.New("want host:port with a numeric port")
		}
		return parsedValue{text: value}, nil
	case kindDuration:
		d, err := time.ParseDuration(value)
		if err != nil {
			return parsedValue{}, errors.New("want a duration such as 500ms, 10s or 1m30s")
		}
		if d <= 0 {
			return parsedValue{}, errors.New("want a positive duration")
		}
		return parsedValue{text: d.String(), duration: d}, nil
	case kindSize:
		n, err := ParseSize(value)
		if err != nil {
			return parsedValue{}, err
		}
		return parsedValue{text: strconv.FormatInt(n, 10), integer: n}, nil
	case kindInt:
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil {
			return parsedValue{}, errors.New("want an integer")
		}
		if n < 0 && !k.allowNegative {
			return parsedValue{}, errors.New("want a non-negative integer")
		}
		return parsedValue{text: strconv.FormatInt(n, 10), integer: n}, nil
	case kindEnum:
		lower := strings.ToLower(value)
		for _, c := range k.choices {
			if lower == c {
				return parsedValue{text: c}, nil
			}
		}
		return parsedValue{}, errors.Newf("want one of %s", strings.Join(k.choices, ", "))
	}
	return parsedValue{}, errors.AssertionFailedf("config key %q has unknown kind %d", k.name, k.kind)
}

// sizeUnits maps a size suffix to its multiplier. Binary suffixes (KiB) and
// decimal ones (KB) follow their SI/IEC meaning; single letters (k, M, G)
// are binary like in postgresql.conf.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kib": 1 << 10, "kb": 1000,
	"m": 1 << 20, "mib": 1 << 20, "mb": 1000 * 1000,
	"g": 1 << 30, "gib": 1 << 30, "gb": 1000 * 1000 * 1000,
	"t": 1 << 40, "tib": 1 << 40, "tb": 1000 * 1000 * 1000 * 1000,
}

// ParseSize reads a byte size such as "256MiB", "64MB", "1G" or "4096".
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
		end++
	}
	if end == 0 {
		return 0, errors.New("want a size such as 256MiB, 64MB or 4096")
	}
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(s[end:]))]
	if !ok {
		return 0, errors.Newf("unknown size unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", strings.TrimSpace(s[end:]))
	}
	num, err := strconv.ParseFloat(s[:end], 64)
	if err != nil {
		return 0, errors.New("want a size such as 256MiB, 64MB or 4096")
	}
	bytes := num * float64(mult)
	if bytes > math.MaxInt64/2 {
		return 0, errors.New("size too large")
	}
	return int64(bytes), nil
}

// Setting returns the value of a key kept in Settings (the checkpoint.* and
// log.* keys without a field), or its documented default.
func (o *Options) Setting(key string) string {
	if v, ok := o.Settings[key]; ok {
		return v
	}
	if k, ok := lookupConfigKey(key); ok {
		return k.def
	}
	return ""
}

// SettingDuration returns a duration key from Settings (or its default).
func (o *Options) SettingDuration(key string) time.Duration {
	d, err := time.ParseDuration(o.Setting(key))
	if err != nil {
		return 0
	}
	return d
}

// SettingInt returns an integer key from Settings (or its default).
func (o *Options) SettingInt(key string) int {
	n, err := strconv.Atoi(o.Setting(key))
	if err != nil {
		return 0
	}
	return n
}

// LogLevel is the slog level of the log.level key.
func (o *Options) LogLevel() slog.Level {
	switch o.Setting("log.level") {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	}
	return slog.LevelInfo
}

// LoadConfigFile reads a TOML config file into opts. Nested tables become
// dotted keys ([checkpoint] interval = "5s" is checkpoint.interval), and
// every key goes through ApplySetting. Errors name the file.
func LoadConfigFile(opts *Options, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return errors.Wrap(err, "reading config file")
	}
	return LoadConfig(opts, path, string(data))
}

// LoadConfig parses TOML text (name is used in error messages) into opts.
func LoadConfig(opts *Options, name, text string) error {
	var doc map[string]any
	if _, err := toml.Decode(text, &doc); err != nil {
		return errors.Wrapf(err, "config file %s", name)
	}
	flat := make(map[string]string)
	if err := flattenTOML("", doc, flat); err != nil {
		return errors.Wrapf(err, "config file %s", name)
	}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := ApplySetting(opts, k, flat[k]); err != nil {
			return errors.Wrapf(err, "config file %s", name)
		}
	}
	return nil
}

// flattenTOML turns nested tables into dotted keys with text values.
func flattenTOML(prefix string, doc map[string]any, out map[string]string) error {
	for k, v := range doc {
		key := prefix + k
		switch v := v.(type) {
		case map[string]any:
			if err := flattenTOML(key+".", v, out); err != nil {
				return err
			}
		case string:
			out[key] = v
		case int64:
			out[key] = strconv.FormatInt(v, 10)
		case float64:
			out[key] = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			out[key] = strconv.FormatBool(v)
		default:
			return errors.Newf("config key %q: unsupported value %s", key, fmt.Sprint(v))
		}
	}
	return nil
}

// ConfigKeyDoc describes one documented key for help output and README.
type ConfigKeyDoc struct {
	Name, Default, Doc string
}

// ConfigKeyDocs lists every documented key with its default.
func ConfigKeyDocs() []ConfigKeyDoc {
	docs := make([]ConfigKeyDoc, 0, len(configKeys))
	for _, k := range configKeys {
		doc := k.doc
		if k.kind == kindEnum {
			doc += " (" + strings.Join(k.choices, ", ") + ")"
		}
		docs = append(docs, ConfigKeyDoc{Name: k.name, Default: k.def, Doc: doc})
	}
	return docs
}

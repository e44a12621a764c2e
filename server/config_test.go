package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestApplySettingFields(t *testing.T) {
	var o Options
	for _, kv := range [][2]string{
		{"listen", "0.0.0.0:6000"},
		{"http", ""},
		{"data_dir", "/tmp/x"},
		{"checkpoint.dir", "s3://bucket/path"},
		{"checkpoint.interval", "5s"},
		{"state.block_cache_size", "256MiB"},
		{"state.memtable_size", "64MB"},
		{"state.memtable_count", "4"},
		{"state.compression", "ZSTD"},
		{"barrier_interval", "250ms"},
		{"max_connections", "7"},
		{"max_message_size", "1k"},
		{"auth.method", "password"},
		{"users.alice", "secret"},
		{"checkpoint.retain", "5"},
		{"checkpoint.min_pause", "2s"},
		{"log.level", "debug"},
	} {
		if err := ApplySetting(&o, kv[0], kv[1]); err != nil {
			t.Fatalf("ApplySetting(%q, %q): %v", kv[0], kv[1], err)
		}
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Listen", o.Listen, "0.0.0.0:6000"},
		{"HTTP", o.HTTP, "-"},
		{"DataDir", o.DataDir, "/tmp/x"},
		{"CheckpointDir", o.CheckpointDir, "s3://bucket/path"},
		{"CheckpointInterval", o.CheckpointInterval, 5 * time.Second},
		{"BlockCacheSize", o.BlockCacheSize, int64(256 << 20)},
		{"MemtableSize", o.MemtableSize, int64(64_000_000)},
		{"MemtableCount", o.MemtableCount, 4},
		{"Compression", o.Compression, "zstd"},
		{"BarrierInterval", o.BarrierInterval, 250 * time.Millisecond},
		{"MaxConnections", o.MaxConnections, 7},
		{"MaxMessageSize", o.MaxMessageSize, 1024},
		{"AuthMethod", o.AuthMethod, "password"},
		{"Users", o.Users["alice"], "secret"},
		{"checkpoint.retain", o.SettingInt("checkpoint.retain"), 5},
		{"checkpoint.min_pause", o.SettingDuration("checkpoint.min_pause"), 2 * time.Second},
		{"checkpoint.timeout default", o.SettingDuration("checkpoint.timeout"), 10 * time.Minute},
		{"log.level", o.LogLevel().String(), "DEBUG"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestApplySettingErrors(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"no_such_key", "1", `unknown config key "no_such_key"`},
		{"checkpoint.interval", "soon", `config key "checkpoint.interval": bad value "soon"`},
		{"checkpoint.interval", "-1s", `bad value "-1s"`},
		{"state.block_cache_size", "12XB", `unknown size unit "XB"`},
		{"max_connections", "many", `config key "max_connections": bad value "many"`},
		{"state.profile", "tape", "want one of ssd, hdd"},
		{"listen", "5544", `config key "listen": bad value "5544"`},
		{"users.", "x", "bad user name"},
	} {
		var o Options
		err := ApplySetting(&o, tc.key, tc.value)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ApplySetting(%q, %q) = %v, want error containing %q", tc.key, tc.value, err, tc.want)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"4096": 4096, "1KiB": 1024, "1kb": 1000, "256MiB": 256 << 20, "1.5GiB": 3 << 29, "2G": 2 << 30, "10 MB": 10_000_000,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "1QB", "1.2.3"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

func TestLoadConfigFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "streamdb.toml")
	text := `
listen = "127.0.0.1:6543"
data_dir = "/var/lib/streamdb"
barrier_interval = "2s"
max_connections = 20

[checkpoint]
dir = "file:///backups"
interval = "30s"
retain = 7

[state]
block_cache_size = "1GiB"
memtable_count = 3

[users]
streamdb = "pw1"
bob = "SCRAM-SHA-256$4096:c2FsdA==$a:b"

[log]
level = "warn"
`
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var o Options
	if err := LoadConfigFile(&o, path); err != nil {
		t.Fatal(err)
	}
	if o.Listen != "127.0.0.1:6543" || o.DataDir != "/var/lib/streamdb" || o.BarrierInterval != 2*time.Second ||
		o.MaxConnections != 20 || o.CheckpointDir != "file:///backups" || o.CheckpointInterval != 30*time.Second ||
		o.SettingInt("checkpoint.retain") != 7 || o.BlockCacheSize != 1<<30 || o.MemtableCount != 3 ||
		o.Users["streamdb"] != "pw1" || !strings.HasPrefix(o.Users["bob"], "SCRAM-SHA-256$") || o.Setting("log.level") != "warn" {
		t.Errorf("options not loaded as written: %+v", o)
	}

	for _, tc := range []struct{ text, want string }{
		{`bogus = 1`, `unknown config key "bogus"`},
		{"[checkpoint]\ninterval = 10", `config key "checkpoint.interval": bad value "10"`},
		{`listen = [1, 2]`, `unsupported value`},
		{`listen = `, `config file inline.toml`},
	} {
		var o Options
		err := LoadConfig(&o, "inline.toml", tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadConfig(%q) = %v, want error containing %q", tc.text, err, tc.want)
		}
	}
}

// TestREADMEDocumentsEveryKey keeps the README key table in step with the
// keys ApplySetting accepts.
func TestREADMEDocumentsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skipf("README.md not readable: %v", err)
	}
	for _, k := range ConfigKeyDocs() {
		if !strings.Contains(string(readme), "`"+k.Name+"`") {
			t.Errorf("README.md does not document config key %q", k.Name)
		}
	}
}

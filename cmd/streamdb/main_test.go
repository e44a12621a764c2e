package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlagsOverrideConfigAndSet(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.toml")
	if err := os.WriteFile(cfg, []byte("listen = \"127.0.0.1:1111\"\ndata_dir = \"/from/file\"\n[checkpoint]\ninterval = \"1m\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var sf serveFlags
	fs := newServeFlags(io.Discard, &sf)
	err := fs.Parse([]string{"--config", cfg, "--set", "data_dir=/from/set", "--set", "max_connections=9",
		"--listen", "127.0.0.1:2222", "--http", "", "--checkpoint-interval", "3s"})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := buildOptions(fs, &sf)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Listen != "127.0.0.1:2222" || opts.DataDir != "/from/set" || opts.MaxConnections != 9 ||
		opts.HTTP != "-" || opts.CheckpointInterval != 3*time.Second {
		t.Errorf("unexpected options %+v", opts)
	}
}

func TestCommandErrors(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"--set", "nope=1"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown config key "nope"`) {
		t.Errorf("--set nope=1: code %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"frobnicate"}, io.Discard, &stderr); code != 2 {
		t.Errorf("unknown command: code %d", code)
	}
	for _, args := range [][]string{{"--events", "-5"}, {"--chunk", "0"}, {"--recovery-events", "0"}, {"--serving-clients", "-1"}} {
		stderr.Reset()
		if code := run(append([]string{"bench", "nexmark"}, args...), io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "must be positive") {
			t.Errorf("bench nexmark %v: code %d, stderr %q", args, code, stderr.String())
		}
	}
	var stdout bytes.Buffer
	if code := run([]string{"version"}, &stdout, io.Discard); code != 0 || !strings.HasPrefix(stdout.String(), "streamdb ") {
		t.Errorf("version: code %d, %q", code, stdout.String())
	}
}

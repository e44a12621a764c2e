package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/server"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process exit, so tests can call it.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "kafka-dev": // kafka_dev.go
		return kafkaDev(args, stdout, stderr)
	case "bench": // bench.go
		return benchCmd(args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "streamdb", version())
		return 0
	case "help":
		usage(stderr, newServeFlags(stderr, &serveFlags{}))
		return 0
	default:
		fmt.Fprintf(stderr, "streamdb: unknown command %q (want serve or version)\n", cmd)
		return 2
	}
}

// version is the module version stamped by the Go toolchain, or the VCS
// revision when built from a checkout.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" {
			v += " " + s.Value
		}
	}
	return v
}

// serveFlags are the serve flags; the names are a contract with scripts.
type serveFlags struct {
	configPath string
	sets       []string
}

// setList collects repeatable --set key=value flags.
type setList struct{ values *[]string }

func (s setList) String() string {
	if s.values == nil {
		return ""
	}
	return strings.Join(*s.values, ",")
}

func (s setList) Set(v string) error {
	*s.values = append(*s.values, v)
	return nil
}

// flagKeys maps each dedicated flag to its config key.
var flagKeys = map[string]string{
	"listen":              "listen",
	"http":                "http",
	"data-dir":            "data_dir",
	"checkpoint-dir":      "checkpoint.dir",
	"checkpoint-interval": "checkpoint.interval",
	"restore-from":        "restore_from",
}

func newServeFlags(stderr io.Writer, sf *serveFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("streamdb serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.String("listen", "127.0.0.1:5544", "pgwire `host:port`")
	fs.String("http", "127.0.0.1:5545", "HTTP `host:port` for /metrics and /healthz (empty disables)")
	fs.String("data-dir", "./streamdb-data", "data directory")
	fs.String("checkpoint-dir", "", "checkpoint store `url` (default file://<data-dir>/checkpoints)")
	fs.String("checkpoint-interval", "10s", "time between checkpoints")
	fs.String("restore-from", "", "savepoint `url` to start from")
	fs.StringVar(&sf.configPath, "config", "", "TOML config `file`")
	fs.Var(setList{&sf.sets}, "set", "set a config `key=value` (repeatable)")
	fs.Usage = func() { usage(stderr, fs) }
	return fs
}

func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintln(w, "usage: streamdb [serve] [flags]\n       streamdb version\n\nflags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintln(w, "\nconfig keys (config file or --set key=value):")
	for _, k := range server.ConfigKeyDocs() {
		fmt.Fprintf(w, "  %-30s default %-30q %s\n", k.Name, k.Default, k.Doc)
	}
}

// buildOptions applies, in increasing precedence: the config file, --set
// values, then the dedicated flags that were given explicitly.
func buildOptions(fs *flag.FlagSet, sf *serveFlags) (server.Options, error) {
	var opts server.Options
	if sf.configPath != "" {
		if err := server.LoadConfigFile(&opts, sf.configPath); err != nil {
			return opts, err
		}
	}
	for _, kv := range sf.sets {
		key, value, ok := strings.Cut(kv, "=")
		if !ok {
			return opts, errors.Newf("--set %q: want key=value", kv)
		}
		if err := server.ApplySetting(&opts, key, value); err != nil {
			return opts, errors.Wrap(err, "--set")
		}
	}
	var err error
	fs.Visit(func(f *flag.Flag) {
		key, ok := flagKeys[f.Name]
		if !ok || err != nil {
			return
		}
		if e := server.ApplySetting(&opts, key, f.Value.String()); e != nil {
			err = errors.Wrapf(e, "--%s", f.Name)
		}
	})
	return opts, err
}

func newLogger(opts *server.Options, stderr io.Writer) *slog.Logger {
	handlerOpts := &slog.HandlerOptions{Level: opts.LogLevel()}
	if opts.Setting("log.format") == "json" {
		return slog.New(slog.NewJSONHandler(stderr, handlerOpts))
	}
	return slog.New(slog.NewTextHandler(stderr, handlerOpts))
}

func serve(args []string, stderr io.Writer) int {
	var sf serveFlags
	fs := newServeFlags(stderr, &sf)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "streamdb: unexpected arguments %q\n", fs.Args())
		return 2
	}
	opts, err := buildOptions(fs, &sf)
	if err != nil {
		fmt.Fprintf(stderr, "streamdb: %v\n", err)
		return 2
	}
	logger := newLogger(&opts, stderr)
	opts.Logger = logger
	// Libraries that log through slog's default logger use the same handler.
	slog.SetDefault(logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger.Info("starting streamdb", "version", version())
	if err := server.Run(ctx, opts); err != nil {
		logger.Error("streamdb stopped", "err", err.Error()) // the message; slog would print the stack of a cockroachdb error
		return 1
	}
	logger.Info("streamdb stopped")
	return 0
}

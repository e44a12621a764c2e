package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cockroachdb/errors"
	"github.com/streamdb/streamdb/bench/nexmark"
)

// benchCmd runs `streamdb bench nexmark ...` (bench/nexmark): the server
// under test is this same binary, started as a child process.
func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "nexmark" {
		fmt.Fprintln(stderr, "usage: streamdb bench nexmark [flags] (see streamdb bench nexmark -h)")
		return 2
	}
	bf := benchFlags{}
	fs := newBenchFlags(stderr, &bf)
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runBench(ctx, bf, fs, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "streamdb bench: %v\n", err)
		return 1
	}
	return 0
}

type benchFlags struct {
	queries            string
	events             int64
	checkpointInterval time.Duration
	variants           string
	out                string
	chunk              int
	generator          bool
	workDir            string
	keep               bool
	timeout            time.Duration
}

func newBenchFlags(stderr io.Writer, bf *benchFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("streamdb bench nexmark", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&bf.queries, "query", "q0", "comma-separated Nexmark `queries` (q0,q1,...) or \"all\"")
	fs.Int64Var(&bf.events, "events", 1_000_000, "events of all kinds per run")
	fs.DurationVar(&bf.checkpointInterval, "checkpoint-interval", 10*time.Second, "server checkpoint interval")
	fs.StringVar(&bf.variants, "variant", nexmark.VariantView, "comma-separated `variants`: view, blackhole")
	fs.StringVar(&bf.out, "out", "", "write results.json, results.md and throughput.svg into this `dir`")
	fs.IntVar(&bf.chunk, "chunk", 10_000, "generator rows per source transaction (nexmark.max.chunk.size)")
	fs.BoolVar(&bf.generator, "generator", true, "also run the generator alone to report its CPU share")
	fs.StringVar(&bf.workDir, "work-dir", "", "`dir` for the servers' data directories (default the system temp dir)")
	fs.BoolVar(&bf.keep, "keep", false, "keep the servers' data directories and logs")
	fs.DurationVar(&bf.timeout, "timeout", 30*time.Minute, "bound on each run")
	return fs
}

func runBench(ctx context.Context, bf benchFlags, fs *flag.FlagSet, stdout, stderr io.Writer) error {
	binary, err := os.Executable()
	if err != nil {
		return errors.Wrap(err, "finding the streamdb binary")
	}
	queries := strings.Split(bf.queries, ",")
	if bf.queries == "all" {
		queries = nexmark.QueryNames()
	}
	for _, q := range queries {
		if _, err := nexmark.LookupQuery(strings.TrimSpace(q)); err != nil {
			return err
		}
	}
	report := nexmark.NewReport("streamdb bench nexmark " + strings.Join(fs.Args(), " "))
	report.Command = "streamdb bench nexmark" + flagLine(fs)
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	base := nexmark.RunOptions{Binary: binary, WorkDir: bf.workDir, KeepData: bf.keep, Events: bf.events, Chunk: bf.chunk,
		CheckpointInterval: bf.checkpointInterval, Timeout: bf.timeout, Logf: logf}
	var gen *nexmark.QueryResult
	if bf.generator {
		opts := base
		opts.Variant = nexmark.VariantGenerator
		g, err := nexmark.RunQuery(ctx, opts)
		if err != nil {
			report.Errors = append(report.Errors, fmt.Sprintf("generator: %v", err))
			logf("generator: %v", err)
		} else {
			report.Generator = append(report.Generator, g)
			gen = &g
		}
	}
	for _, q := range queries {
		for _, variant := range strings.Split(bf.variants, ",") {
			opts := base
			opts.Query, opts.Variant = strings.TrimSpace(q), strings.TrimSpace(variant)
			res, err := nexmark.RunQuery(ctx, opts)
			if err != nil {
				res.Error = err.Error()
				report.Errors = append(report.Errors, fmt.Sprintf("%s %s: %v", res.Query, res.Variant, err))
			} else if gen != nil {
				res.FillGenerator(*gen)
			}
			report.Runs = append(report.Runs, res)
			fmt.Fprintln(stdout, res)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	report.Finished = time.Now().UTC()
	if bf.out != "" {
		if err := nexmark.WriteReport(bf.out, report); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "results in %s\n", bf.out)
	} else {
		fmt.Fprint(stdout, nexmark.Markdown(report))
	}
	if len(report.Errors) > 0 {
		return errors.Newf("%d runs failed", len(report.Errors))
	}
	return nil
}

// flagLine renders the flags that were set, for the report.
func flagLine(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.Visit(func(f *flag.Flag) { fmt.Fprintf(&b, " --%s %s", f.Name, f.Value) })
	return b.String()
}

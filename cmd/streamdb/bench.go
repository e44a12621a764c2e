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
	// The library reads 0 as "the default"; on the command line a count
	// that is not positive is a mistake, not a request for the default.
	for _, c := range []struct {
		name string
		n    int64
	}{{"events", bf.events}, {"recovery-events", bf.recoveryEvents}, {"chunk", int64(bf.chunk)}, {"serving-clients", int64(bf.servingClients)}} {
		if c.n <= 0 {
			fmt.Fprintf(stderr, "streamdb bench: --%s must be positive, not %d\n", c.name, c.n)
			return 2
		}
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
	suite              bool
	recovery           string
	recoveryEvents     int64
	recoveryQuery      string
	recoverySet        string
	freshness          bool
	freshnessDuration  time.Duration
	serving            bool
	servingDuration    time.Duration
	servingClients     int
	rerender           string
}

func newBenchFlags(stderr io.Writer, bf *benchFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("streamdb bench nexmark", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&bf.queries, "query", "q0", "comma-separated Nexmark `queries` (q0,q1,...), \"all\", or \"\" for none")
	fs.Int64Var(&bf.events, "events", 1_000_000, "events of all kinds per run (with --suite: per cheap query; the heavy ones get a fifth)")
	fs.DurationVar(&bf.checkpointInterval, "checkpoint-interval", 10*time.Second, "server checkpoint interval")
	fs.StringVar(&bf.variants, "variant", nexmark.VariantView, "comma-separated `variants`: view, blackhole")
	fs.StringVar(&bf.out, "out", "", "write results.json, results.md and throughput.svg into this `dir` (default: print the table)")
	fs.IntVar(&bf.chunk, "chunk", 10_000, "generator rows per source transaction (nexmark.max.chunk.size)")
	fs.BoolVar(&bf.generator, "generator", true, "also run the generator alone (sources, no query) to report its CPU share")
	fs.StringVar(&bf.workDir, "work-dir", "", "`dir` for the servers' data directories (default the system temp dir)")
	fs.BoolVar(&bf.keep, "keep", false, "keep the servers' data directories and logs")
	fs.DurationVar(&bf.timeout, "timeout", 30*time.Minute, "bound on each run")
	fs.BoolVar(&bf.suite, "suite", false, "run make bench's suite: every query, view and blackhole at 10 s checkpoints, q0/q17/q20 views at 1 s (--query and --variant are ignored)")
	fs.StringVar(&bf.recovery, "recovery", "", "run the recovery benchmark in these `modes` (local,store)")
	fs.Int64Var(&bf.recoveryEvents, "recovery-events", 1_000_000, "events before the kill -9 of the recovery benchmark")
	fs.StringVar(&bf.recoveryQuery, "recovery-query", "q20", "query of the recovery benchmark")
	fs.StringVar(&bf.recoverySet, "recovery-set", "", "comma-separated key=value server `settings` of the recovery benchmark (e.g. views.max_epoch_rows=0,sources.max_backlog_rows=0: unbounded epochs and sources)")
	fs.BoolVar(&bf.freshness, "freshness", false, "run the freshness benchmark")
	fs.DurationVar(&bf.freshnessDuration, "freshness-duration", 20*time.Second, "freshness measurement time")
	fs.BoolVar(&bf.serving, "serving", false, "run the serving benchmark (q17 point SELECTs, next to PostgreSQL)")
	fs.DurationVar(&bf.servingDuration, "serving-duration", 10*time.Second, "serving measurement time per system")
	fs.IntVar(&bf.servingClients, "serving-clients", 64, "serving benchmark clients")
	fs.StringVar(&bf.rerender, "rerender", "", "run nothing: render this results.json `file` again into --out")
	return fs
}

func runBench(ctx context.Context, bf benchFlags, fs *flag.FlagSet, stdout, stderr io.Writer) error {
	binary, err := os.Executable()
	if err != nil {
		return errors.Wrap(err, "finding the streamdb binary")
	}
	if bf.rerender != "" {
		report, err := nexmark.ReadReport(bf.rerender)
		if err != nil {
			return err
		}
		// Derived figures follow the current rules.
		for i := range report.Runs {
			for _, g := range report.Generator {
				if g.Events == report.Runs[i].Events && report.Runs[i].Error == "" {
					report.Runs[i].FillGenerator(g)
				}
			}
		}
		if bf.out == "" {
			fmt.Fprint(stdout, nexmark.Markdown(report))
			return nil
		}
		return nexmark.WriteReport(bf.out, report)
	}
	var specs []nexmark.RunSpec
	switch {
	case bf.suite:
		specs = nexmark.DefaultSuite(bf.events)
	case bf.queries != "":
		queries := strings.Split(bf.queries, ",")
		if bf.queries == "all" {
			queries = nexmark.QueryNames()
		}
		for _, q := range queries {
			if _, err := nexmark.LookupQuery(strings.TrimSpace(q)); err != nil {
				return err
			}
			for _, v := range strings.Split(bf.variants, ",") {
				specs = append(specs, nexmark.RunSpec{Query: strings.TrimSpace(q), Variant: strings.TrimSpace(v),
					Events: bf.events, CheckpointInterval: bf.checkpointInterval})
			}
		}
	}
	report := nexmark.NewReport("streamdb bench nexmark" + flagLine(fs))
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	fail := func(what string, err error) {
		report.Errors = append(report.Errors, fmt.Sprintf("%s: %v", what, err))
		logf("%s: %v", what, err)
	}
	base := nexmark.RunOptions{Binary: binary, WorkDir: bf.workDir, KeepData: bf.keep, Chunk: bf.chunk, Timeout: bf.timeout, Logf: logf}
	generators := map[int64]*nexmark.QueryResult{}
	for _, spec := range specs {
		if !bf.generator || generators[spec.Events] != nil || ctx.Err() != nil {
			continue
		}
		opts := base
		opts.Variant, opts.Events, opts.CheckpointInterval = nexmark.VariantGenerator, spec.Events, bf.checkpointInterval
		g, err := nexmark.RunQuery(ctx, opts)
		if err != nil {
			fail(fmt.Sprintf("generator (%d events)", spec.Events), err)
			continue
		}
		report.Generator = append(report.Generator, g)
		generators[spec.Events] = &g
	}
	for _, spec := range specs {
		if ctx.Err() != nil {
			break
		}
		opts := base
		opts.Query, opts.Variant, opts.Events, opts.CheckpointInterval = spec.Query, spec.Variant, spec.Events, spec.CheckpointInterval
		res, err := nexmark.RunQuery(ctx, opts)
		if err != nil {
			res.Error = err.Error()
			fail(fmt.Sprintf("%s %s", spec.Query, spec.Variant), err)
		} else if g := generators[spec.Events]; g != nil {
			res.FillGenerator(*g)
		}
		report.Runs = append(report.Runs, res)
		fmt.Fprintln(stdout, res)
		checkpointReport(bf.out, report, logf)
	}
	if bf.recovery != "" {
		for _, mode := range strings.Split(bf.recovery, ",") {
			if ctx.Err() != nil {
				break
			}
			rc, err := nexmark.RunRecovery(ctx, nexmark.RecoveryOptions{Binary: binary, WorkDir: bf.workDir, KeepData: bf.keep,
				Query: bf.recoveryQuery, Events: bf.recoveryEvents, Chunk: bf.chunk, CheckpointInterval: bf.checkpointInterval,
				Mode: strings.TrimSpace(mode), Timeout: bf.timeout, Logf: logf, Sets: splitNonEmpty(bf.recoverySet)})
			if err != nil {
				rc.Error = err.Error()
				fail("recovery "+mode, err)
			}
			report.Recovery = append(report.Recovery, rc)
			checkpointReport(bf.out, report, logf)
		}
	}
	if bf.freshness && ctx.Err() == nil {
		fr, err := nexmark.RunFreshness(ctx, nexmark.FreshnessOptions{Binary: binary, WorkDir: bf.workDir, KeepData: bf.keep,
			Duration: bf.freshnessDuration, CheckpointInterval: bf.checkpointInterval, Logf: logf})
		if err != nil {
			fr.Error = err.Error()
			fail("freshness", err)
		}
		report.Freshness = &fr
		checkpointReport(bf.out, report, logf)
	}
	if bf.serving && ctx.Err() == nil {
		sv, err := nexmark.RunServing(ctx, nexmark.ServingOptions{Binary: binary, WorkDir: bf.workDir, KeepData: bf.keep,
			Clients: bf.servingClients, Duration: bf.servingDuration, CheckpointInterval: bf.checkpointInterval, Logf: logf})
		if err != nil {
			sv.Error = err.Error()
			fail("serving", err)
		}
		report.Serving = &sv
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
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(report.Errors) > 0 {
		return errors.Newf("%d benchmark runs failed (see the report)", len(report.Errors))
	}
	return nil
}

// checkpointReport writes the report so far, so that an interrupted suite
// still leaves its finished runs behind.
func checkpointReport(out string, report *nexmark.Report, logf func(string, ...any)) {
	if out == "" {
		return
	}
	report.Finished = time.Now().UTC()
	if err := nexmark.WriteReport(out, report); err != nil {
		logf("writing the partial report: %v", err)
	}
}

// flagLine renders the flags that were set, for the report.
func flagLine(fs *flag.FlagSet) string {
	var b strings.Builder
	fs.Visit(func(f *flag.Flag) { fmt.Fprintf(&b, " --%s %s", f.Name, f.Value) })
	return b.String()
}

// splitNonEmpty splits a comma-separated list, dropping empty items.
func splitNonEmpty(list string) []string {
	var out []string
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

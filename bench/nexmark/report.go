package nexmark

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/cockroachdb/errors"
)

// Report is everything one `streamdb bench nexmark` or `make bench`
// invocation measured; it is written as results.json.
type Report struct {
	Started   time.Time     `json:"started"`
	Finished  time.Time     `json:"finished"`
	GoVersion string        `json:"go_version"`
	Command   string        `json:"command"`
	Machine   Machine       `json:"machine"`
	Runs      []QueryResult `json:"runs"`
	// Generator holds the generator-only runs (sources, no query), one
	// per event count.
	Generator []QueryResult    `json:"generator,omitempty"`
	Recovery  []RecoveryResult `json:"recovery,omitempty"`
	Freshness *FreshnessResult `json:"freshness,omitempty"`
	Serving   *ServingResult   `json:"serving,omitempty"`
	Errors    []string         `json:"errors,omitempty"`
	// PlotRun names the run drawn in throughput.svg.
	PlotRun string `json:"plot_run,omitempty"`
}

// NewReport starts a report for this machine.
func NewReport(command string) *Report {
	return &Report{Started: time.Now().UTC(), GoVersion: runtime.Version(), Command: command,
		Machine: ReadMachine(runtime.NumCPU())}
}

// WriteReport writes results.json, results.md and, when a run has
// samples, throughput.svg into dir.
func WriteReport(dir string, r *Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrap(err, "creating the output directory")
	}
	if r.Finished.IsZero() {
		r.Finished = time.Now().UTC()
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return errors.Wrap(err, "encoding results")
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return errors.Wrap(err, "writing results.json")
	}
	if run := r.plotRun(); run != nil {
		r.PlotRun = run.Query + " " + run.Variant
		if err := os.WriteFile(filepath.Join(dir, "throughput.svg"), []byte(ThroughputSVG(*run)), 0o644); err != nil {
			return errors.Wrap(err, "writing throughput.svg")
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(Markdown(r)), 0o644); err != nil {
		return errors.Wrap(err, "writing results.md")
	}
	return nil
}

// ReadReport reads a results.json written by WriteReport (to render it
// again).
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, errors.Wrap(err, "reading the report")
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, errors.Wrapf(err, "decoding %s", path)
	}
	return &r, nil
}

// plotRun picks the run to plot: the successful run with the most samples.
func (r *Report) plotRun() *QueryResult {
	var best *QueryResult
	for i := range r.Runs {
		run := &r.Runs[i]
		if run.Error == "" && len(run.Samples) >= 2 && (best == nil || len(run.Samples) > len(best.Samples)) {
			// Most points: a sample is missed while the server does not
			// answer its system views.
			best = run
		}
	}
	return best
}

func mib(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

func kilo(x float64) string {
	if x == 0 {
		return "–"
	}
	if x >= 100_000 {
		return fmt.Sprintf("%.0fK", x/1000)
	}
	return fmt.Sprintf("%.1fK", x/1000)
}

func bytesHuman(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// Markdown renders the report as the table the README shows.
func Markdown(r *Report) string {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Nexmark benchmark results\n\n")
	fmt.Fprintf(&b, "Machine: %d × %s, %s RAM, Linux %s, %s. Load average at start %.2f %.2f %.2f (the machine is shared with other builds).\n",
		m.CPUs, m.CPUModel, bytesHuman(m.MemBytes), m.Kernel, r.GoVersion, m.LoadAvg[0], m.LoadAvg[1], m.LoadAvg[2])
	fmt.Fprintf(&b, "Run %s – %s: `%s`.\n\n", r.Started.Format(time.RFC3339), r.Finished.Format(time.RFC3339), r.Command)
	b.WriteString("Throughput: the built-in generator (three sources, events of all kinds counted), the query as a materialized view (`view`) or a black-hole sink (`blackhole`), checkpoints on. " +
		"Per core = events ÷ CPU seconds of the whole server process (utime+stime), generator included; `excl. gen.` takes out the CPU of a generator-only run of the same size. " +
		"Target = issue 8's 1.25× the best published durable figure per core; ratio = ours ÷ best durable.\n\n")
	b.WriteString("| query | variant | ckpt | events | events/s | per core | per core excl. gen. | gen. share | best durable / target per core | ratio | peak RSS MiB | steady RSS MiB | ckpt p50 / p99 ms | uploaded/ckpt p50 | state / M events | load |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, run := range r.Runs {
		ckpt := (time.Duration(run.CheckpointIntervalMs) * time.Millisecond).String()
		if run.Error != "" {
			fmt.Fprintf(&b, "| %s | %s | %s | %d | error: %s |||||||||||| |\n", run.Query, run.Variant, ckpt, run.Events, strings.ReplaceAll(run.Error, "|", "/"))
			continue
		}
		target, ratio := "–", "–"
		if run.Target != nil {
			target = kilo(run.Target.BestDurable) + " / " + kilo(run.Target.Ahead)
			ratio = fmt.Sprintf("%.2f", run.RatioToBestDurable)
			if len(run.Checkpoints) == 0 {
				ratio += "*"
			}
		}
		share := "–"
		if run.GeneratorShare > 0 {
			share = fmt.Sprintf("%.0f%%", run.GeneratorShare*100)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %.0f / %.0f (%d) | %s | %s | %.1f |\n",
			run.Query, run.Variant, ckpt, run.Events, kilo(run.EventsPerSec), kilo(run.EventsPerCoreSec),
			kilo(run.EventsPerCoreSecExclGenerator), share, target, ratio, mib(run.PeakRSSBytes), mib(run.SteadyRSSBytes),
			run.CheckpointP50Ms, run.CheckpointP99Ms, len(run.Checkpoints), bytesHuman(run.CheckpointBytesP50),
			stateColumn(run), run.LoadAvg[0])
	}
	b.WriteString("\n\\* no checkpoint completed during the run (it was shorter than the interval), so the figure is not one \"with checkpoints\"; " +
		"short runs also keep far less state than the published 100 M-event runs. `excl. gen.` is – when the query's CPU exceeds the generator-only run's by less than 10 % (noise).\n")
	if len(r.Generator) > 0 {
		b.WriteString("\nGenerator alone (the three sources writing their tables, no query):\n\n| events | events/s | per core | CPU s | peak RSS MiB |\n|---:|---:|---:|---:|---:|\n")
		for _, g := range r.Generator {
			fmt.Fprintf(&b, "| %d | %s | %s | %.1f | %s |\n", g.Events, kilo(g.EventsPerSec), kilo(g.EventsPerCoreSec), g.CPUSeconds, mib(g.PeakRSSBytes))
		}
	}
	writeRecoveryMarkdown(&b, r)
	if r.PlotRun != "" {
		fmt.Fprintf(&b, "\nThroughput over time (%s): ![throughput](throughput.svg)\n", r.PlotRun)
	}
	if len(r.Errors) > 0 {
		b.WriteString("\nErrors:\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "* %s\n", e)
		}
	}
	return b.String()
}

func writeRecoveryMarkdown(b *strings.Builder, r *Report) {
	if len(r.Recovery) > 0 {
		b.WriteString("\nRecovery (kill -9, restart; `local` = from the local checkpoint copy, `store` = state dir deleted, restored from the checkpoint store):\n\n")
		b.WriteString("| query | mode | events generated at kill | view input rows at kill | state at kill | last checkpoint size | ready s | first new output s | caught up s | total events |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, rc := range r.Recovery {
			if rc.Error != "" {
				fmt.Fprintf(b, "| %s | %s | error: %s |||||| |\n", rc.Query, rc.Mode, rc.Error)
				continue
			}
			first := fmt.Sprintf("%.2f", rc.FirstOutputSeconds)
			if rc.NoBacklog {
				first = "no backlog"
			}
			fmt.Fprintf(b, "| %s | %s | %d | %d | %s | %s | %.2f | %s | %.2f | %d |\n", rc.Query, rc.Mode, rc.EventsAtKill, rc.ViewRowsInAtKill,
				bytesHuman(rc.StateBytesAtKill), bytesHuman(rc.CheckpointBytes), rc.ReadySeconds, first, rc.CaughtUpSeconds, rc.TotalEvents)
		}
	}
	if f := r.Freshness; f != nil {
		b.WriteString("\nFreshness (INSERT over pgx until a reader polling a GROUP BY view sees it, while a writer loads another table + GROUP BY view at 50 % of the saturated rate):\n\n")
		if f.Error != "" {
			fmt.Fprintf(b, "error: %s\n", f.Error)
		} else {
			b.WriteString("| saturated rows/s | load rows/s | markers | p50 ms | p99 ms | max ms | barrier interval | checkpoint interval |\n|---:|---:|---:|---:|---:|---:|---|---|\n")
			fmt.Fprintf(b, "| %.0f | %.0f | %d | %.1f | %.1f | %.1f | %s | %s |\n", f.SaturatedRowsPerSec, f.LoadRowsPerSec, f.Markers, f.P50Ms, f.P99Ms, f.MaxMs, f.BarrierInterval, f.CheckpointInterval)
		}
	}
	if s := r.Serving; s != nil {
		fmt.Fprintf(b, "\nServing (prepared point SELECT by (auction, day) on q17's rows, %d rows):\n\n", s.Rows)
		if s.Error != "" {
			fmt.Fprintf(b, "error: %s\n\n", s.Error)
		}
		b.WriteString("| system | clients | ingest running | queries | QPS | p50 ms | p99 ms | row cache hits | load avg |\n|---|---:|---|---:|---:|---:|---:|---:|---:|\n")
		for _, st := range []*ServingStats{&s.Streamdb, s.Postgres} {
			if st == nil || st.System == "" {
				continue
			}
			if st.Error != "" {
				fmt.Fprintf(b, "| %s | %d | %v | error: %s |||| \n", st.System, st.Clients, st.IngestRunning, st.Error)
				continue
			}
			hits := "–"
			if st.RowCacheHitRatio > 0 {
				hits = fmt.Sprintf("%.1f %%", 100*st.RowCacheHitRatio)
			}
			fmt.Fprintf(b, "| %s | %d | %v | %d | %.0f | %.2f | %.2f | %s | %.1f |\n", st.System, st.Clients, st.IngestRunning, st.Queries, st.QPS, st.P50Ms, st.P99Ms, hits, st.LoadAvg)
		}
	}
}

// stateColumn is the state per million events from streamdb.state_tables,
// or, when those estimates are still 0 (nothing flushed to SSTs yet), from
// the state directory's size on disk, marked as such.
func stateColumn(run QueryResult) string {
	if run.StateBytes > 0 || run.Events == 0 {
		return bytesHuman(int64(run.StateBytesPerMillion))
	}
	return bytesHuman(int64(float64(run.StateDirBytes)/(float64(run.Events)/1e6))) + " (disk)"
}

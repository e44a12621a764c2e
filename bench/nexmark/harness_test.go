package nexmark

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// buildStreamdb builds the streamdb binary the harness runs as a child.
func buildStreamdb(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "streamdb")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/streamdb/streamdb/cmd/streamdb")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building streamdb: %v\n%s", err, out)
	}
	return bin
}

// TestHarnessEndToEnd runs two tiny queries (q0 as a view, q17 into a
// black-hole sink) and a generator-only run through a real child server,
// writes the report, and checks that the JSON holds sane figures: every
// event counted, CPU time and RSS read from /proc, a time series that ends
// at the event count, the view's rows present, no rows stored for the
// sink, and a Markdown table and a plot. Nothing is timed.
func TestHarnessEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts streamdb")
	}
	bin := buildStreamdb(t)
	ctx := context.Background()
	const events = 20_000
	base := RunOptions{Binary: bin, WorkDir: t.TempDir(), Events: events, Chunk: 1000,
		CheckpointInterval: time.Second, SampleEvery: 100 * time.Millisecond, Timeout: 5 * time.Minute, Logf: t.Logf}
	report := NewReport("go test")
	genOpts := base
	genOpts.Variant = VariantGenerator
	g, err := RunQuery(ctx, genOpts)
	if err != nil {
		t.Fatal(err)
	}
	report.Generator = append(report.Generator, g)
	for _, spec := range []struct{ query, variant string }{{"q0", VariantView}, {"q17", VariantBlackhole}} {
		opts := base
		opts.Query, opts.Variant = spec.query, spec.variant
		res, err := RunQuery(ctx, opts)
		if err != nil {
			t.Fatalf("%s %s: %v", spec.query, spec.variant, err)
		}
		res.FillGenerator(g)
		report.Runs = append(report.Runs, res)
	}
	out := t.TempDir()
	if err := WriteReport(out, report); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Report
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if got.Machine.CPUs < 1 || got.Machine.MemBytes <= 0 {
		t.Errorf("machine not described: %+v", got.Machine)
	}
	if len(got.Runs) != 2 || len(got.Generator) != 1 {
		t.Fatalf("%d runs and %d generator runs in the JSON, want 2 and 1", len(got.Runs), len(got.Generator))
	}
	if gen := got.Generator[0]; gen.CPUSeconds <= 0 || gen.EventsPerCoreSec <= 0 || gen.Events != events {
		t.Errorf("generator run not measured: %+v", gen)
	}
	for _, run := range got.Runs {
		name := run.Query + " " + run.Variant
		if run.Events != events || run.Error != "" {
			t.Errorf("%s: events %d, error %q", name, run.Events, run.Error)
		}
		if run.WallSeconds <= 0 || run.CPUSeconds <= 0 || run.EventsPerSec <= 0 || run.EventsPerCoreSec <= 0 {
			t.Errorf("%s: wall %v s, CPU %v s, %v events/s, %v per core", name, run.WallSeconds, run.CPUSeconds, run.EventsPerSec, run.EventsPerCoreSec)
		}
		// Per core cannot exceed wall-clock throughput times the CPUs.
		if run.EventsPerCoreSec*float64(got.Machine.CPUs) < run.EventsPerSec*0.99 {
			t.Errorf("%s: %v events/s per core on %d CPUs but %v events/s", name, run.EventsPerCoreSec, got.Machine.CPUs, run.EventsPerSec)
		}
		if run.PeakRSSBytes < 1<<20 || run.SteadyRSSBytes < 1<<20 || run.SteadyRSSBytes > run.PeakRSSBytes {
			t.Errorf("%s: peak RSS %d, steady %d", name, run.PeakRSSBytes, run.SteadyRSSBytes)
		}
		if run.GeneratorCPUSeconds != g.CPUSeconds || run.GeneratorShare <= 0 {
			t.Errorf("%s: generator share not filled in: %v s, %v", name, run.GeneratorCPUSeconds, run.GeneratorShare)
		}
		if run.Target == nil || run.RatioToBestDurable <= 0 {
			t.Errorf("%s: no target or ratio", name)
		}
		if len(run.Samples) == 0 {
			t.Fatalf("%s: no samples", name)
		}
		last := run.Samples[len(run.Samples)-1]
		if last.Processed != events || last.Generated != events {
			t.Errorf("%s: last sample %+v, want %d events processed and generated", name, last, events)
		}
		for i := 1; i < len(run.Samples); i++ {
			if run.Samples[i].Seconds < run.Samples[i-1].Seconds || run.Samples[i].Processed < run.Samples[i-1].Processed {
				t.Errorf("%s: samples go backwards at %d: %+v then %+v", name, i, run.Samples[i-1], run.Samples[i])
			}
		}
		for _, c := range run.Checkpoints {
			if c.DurationMs <= 0 || c.BytesUploaded < 0 {
				t.Errorf("%s: checkpoint %+v", name, c)
			}
		}
	}
	if view := got.Runs[0]; view.ViewRows != int64(float64(events)*0.92) {
		t.Errorf("q0 view holds %d rows, want the %d bids", view.ViewRows, int(float64(events)*0.92))
	}
	if sink := got.Runs[1]; sink.ViewRows != 0 || sink.StateBytes < 0 {
		t.Errorf("q17 sink: %d rows stored, state %d bytes", sink.ViewRows, sink.StateBytes)
	}
	md, err := os.ReadFile(filepath.Join(out, "results.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| q0 | view |", "| q17 | blackhole |", "throughput.svg"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("results.md lacks %q:\n%s", want, md)
		}
	}
	svg, err := os.ReadFile(filepath.Join(out, "throughput.svg"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(svg), "<svg") || !strings.Contains(string(svg), "<path") {
		t.Errorf("throughput.svg has no curve:\n%s", svg)
	}
}

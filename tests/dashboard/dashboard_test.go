package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamdb/streamdb/server"
)

const viewName = "revenue_by_region_mv"

// startWithView starts a server with the HTTP port, a materialized view
// and one checkpoint.
func startWithView(t *testing.T) *server.Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := server.Start(ctx, server.Options{
		Listen:  "127.0.0.1:0",
		HTTP:    "127.0.0.1:0",
		DataDir: t.TempDir(),
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	conn, err := pgx.Connect(ctx, "postgres://streamdb@"+srv.PGAddr()+"/streamdb?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		"CREATE TABLE orders (id int PRIMARY KEY, region text, amount int)",
		"INSERT INTO orders SELECT g, 'region ' || (g % 5), g FROM generate_series(1, 500) g",
		"CREATE MATERIALIZED VIEW " + viewName + " AS SELECT region, sum(amount) AS revenue, count(*) AS n FROM orders GROUP BY region",
		"INSERT INTO orders VALUES (1000, 'region 1', 7)",
		"CHECKPOINT",
		"INSERT INTO orders VALUES (1001, 'region 2', 9)",
		"CHECKPOINT",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	return srv
}

type status struct {
	Sections map[string]struct {
		Columns []string    `json:"columns"`
		Rows    [][]*string `json:"rows"`
		Error   string      `json:"error"`
	} `json:"sections"`
}

func TestStatusAPI(t *testing.T) {
	srv := startWithView(t)
	resp, err := http.Get("http://" + srv.HTTPAddr() + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"dataflows", "state_tables", "sources", "checkpoints", "storage"} {
		sec, ok := st.Sections[name]
		if !ok || sec.Error != "" {
			t.Fatalf("section %s: present %v, error %q", name, ok, sec.Error)
		}
	}
	found := false
	for _, r := range st.Sections["dataflows"].Rows {
		if r[0] != nil && *r[0] == viewName {
			found = true
		}
	}
	if !found {
		t.Fatalf("dataflows do not list %s: %+v", viewName, st.Sections["dataflows"])
	}
	if n := len(st.Sections["checkpoints"].Rows); n < 2 {
		t.Fatalf("%d checkpoints in the status, want >= 2", n)
	}
	// /metrics and /healthz are still served next to the dashboard.
	for _, path := range []string{"/metrics", "/healthz"} {
		r, err := http.Get("http://" + srv.HTTPAddr() + path)
		if err != nil || r.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, r)
		}
		r.Body.Close()
	}
}

// TestDashboardInChromium loads the page in headless Chromium: the DOM
// (after the page fetched /api/status) names the view, and the screenshot
// is a real rendering (many colours, not a blank page).
func TestDashboardInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if chromium, err = exec.LookPath("chromium-browser"); err != nil {
			t.Skip("chromium is not installed (make test-deps installs the Debian package)")
		}
	}
	srv := startWithView(t)
	url := "http://" + srv.HTTPAddr() + "/"
	dir := t.TempDir()
	run := func(extra ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		args := append([]string{
			"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
			"--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--window-size=1280,1400",
			"--virtual-time-budget=5000",
		}, extra...)
		args = append(args, url)
		cmd := exec.CommandContext(ctx, chromium, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
		}
		return out
	}

	dom := string(run("--dump-dom"))
	if !strings.Contains(dom, viewName) {
		t.Fatalf("the dashboard DOM does not name the view %s:\n%s", viewName, dom)
	}
	if !strings.Contains(dom, "<svg") || !strings.Contains(dom, "<rect") {
		t.Fatalf("the dashboard DOM has no charts:\n%s", dom)
	}

	shot := filepath.Join(dir, "dashboard.png")
	run("--screenshot=" + shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r >> 8, g >> 8, bl >> 8, a >> 8}] = true
		}
	}
	if len(colours) < 20 {
		t.Fatalf("the screenshot looks blank: %d distinct colours in %v", len(colours), b)
	}
	t.Logf("screenshot %v with %d distinct colours", b, len(colours))
	if out := os.Getenv("STREAMDB_DASHBOARD_SCREENSHOT"); out != "" {
		data, _ := os.ReadFile(shot)
		_ = os.WriteFile(out, data, 0o644)
	}
}

package server

import (
	"context"
	"embed"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/streamdb/streamdb/catalog"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/types"
)

// The dashboard is one static page (server/dashboard/index.html: plain
// HTML, inline SVG charts, no external assets since deployments may have
// no internet) that polls /api/status. /api/status runs the queries below
// on the streamdb system views in-process, as the bootstrap superuser, so
// the page shows exactly what SQL shows.

//go:embed dashboard/index.html
var dashboardFiles embed.FS

// statusQueries are the sections of /api/status. Durations are exported as
// seconds so the page can chart them.
var statusQueries = []struct{ name, sql string }{
	{"dataflows", `SELECT relation_name, kind, status, parallelism, committed_epoch,
		extract(epoch FROM freshness) AS freshness_s, rows_in, rows_out, row_errors, last_error, started
		FROM streamdb.dataflows ORDER BY relation_name`},
	{"state_tables", `SELECT relation_name, operator, table_id, keys, live_bytes,
		extract(epoch FROM ttl) AS ttl_s, ttl_time, expired_rows
		FROM streamdb.state_tables ORDER BY relation_name, table_id`},
	{"sources", `SELECT source_name, connector, partition, "offset", high_watermark, lag, last_event
		FROM streamdb.sources ORDER BY source_name, partition`},
	{"checkpoints", `SELECT epoch, kind, status, started, extract(epoch FROM duration) AS duration_s,
		bytes_uploaded, bytes_reused, files
		FROM streamdb.checkpoints ORDER BY started DESC, epoch DESC LIMIT 60`},
	{"storage", `SELECT * FROM streamdb.storage`},
}

// statusSection is one query's result: text values (null for NULL), or
// the error it failed with.
type statusSection struct {
	Columns []string    `json:"columns"`
	Rows    [][]*string `json:"rows"`
	Error   string      `json:"error,omitempty"`
}

type statusReport struct {
	Time     time.Time                 `json:"time"`
	Uptime   float64                   `json:"uptime_s"`
	Sections map[string]*statusSection `json:"sections"`
}

// withDashboard serves the dashboard at / and /api/status, and everything
// else (/metrics, /healthz) with next.
func (s *Server) withDashboard(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page, err := dashboardFiles.ReadFile("dashboard/index.html")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:")
		_, _ = w.Write(page)
	})
	mux.HandleFunc("GET /api/status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(s.status(ctx))
	})
	mux.Handle("/", next)
	return mux
}

// status runs every status query in a private session (not listed in
// pg_stat_activity).
func (s *Server) status(ctx context.Context) statusReport {
	rep := statusReport{Time: time.Now().UTC(), Uptime: time.Since(s.started).Seconds(), Sections: map[string]*statusSection{}}
	sess := &session{srv: s, info: pgwire.StartupInfo{User: catalog.SuperuserName, Database: "streamdb"}, started: time.Now(), state: "idle"}
	sess.settings = newSettings(catalog.SuperuserName)
	defer func() {
		if sess.txn != nil {
			sess.txn.Rollback()
		}
	}()
	for _, q := range statusQueries {
		c := &statusCollector{sec: &statusSection{Rows: [][]*string{}}, loc: time.UTC}
		if err := sess.SimpleQuery(ctx, q.sql, c); err != nil {
			c.sec.Error = err.Error()
		}
		rep.Sections[q.name] = c.sec
	}
	return rep
}

// statusCollector is a pgwire.ResultWriter keeping rows as text.
type statusCollector struct {
	sec  *statusSection
	cols types.Schema
	loc  *time.Location
	buf  []byte
}

func (c *statusCollector) Columns(cols types.Schema) error {
	c.cols = cols
	c.sec.Columns = c.sec.Columns[:0]
	for _, col := range cols {
		c.sec.Columns = append(c.sec.Columns, col.Name)
	}
	return nil
}

func (c *statusCollector) Row(r types.Row) error {
	out := make([]*string, len(r))
	for i, d := range r {
		if d.IsNull() || i >= len(c.cols) {
			continue
		}
		c.buf = types.AppendText(c.buf[:0], d, c.cols[i].Type, c.loc)
		s := string(c.buf)
		out[i] = &s
	}
	c.sec.Rows = append(c.sec.Rows, out)
	return nil
}

func (c *statusCollector) Complete(string) error                { return nil }
func (c *statusCollector) EmptyQuery() error                    { return nil }
func (c *statusCollector) Notice(string, string, string) error  { return nil }
func (c *statusCollector) ParameterStatus(string, string) error { return nil }
func (c *statusCollector) CopyIn(int16, int) (io.Reader, error) {
	return nil, types.Unsupported("COPY in the status endpoint")
}
func (c *statusCollector) CopyOut(int16, int) (io.Writer, error) {
	return nil, types.Unsupported("COPY in the status endpoint")
}

package clients

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// TestPgxUUID round-trips uuid through pgx in every execution mode (binary
// parameters and results in the prepared modes, text in the simple
// protocol): scalars, arrays, NULL, a uuid primary key and unique index,
// binary COPY in (pgx CopyFrom), text COPY in and out, errors, and a materialized view
// grouped by a uuid column. TestAgainstPostgres runs the same checks on
// PostgreSQL 15 (matview=false there: it refreshes instead of flushing).
func TestPgxUUID(t *testing.T) {
	pgxUUID(t, connString(startServer(t)), true)
}

var (
	uuidA = [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	uuidF = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	uuid8 = [16]byte{0x80}
	uuid0 = [16]byte{}
)

const uuidAText = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"

// pgxUUID runs the checks against url; streaming says the server is
// streamdb (views are brought up to date with FLUSH) rather than PostgreSQL
// (REFRESH MATERIALIZED VIEW).
func pgxUUID(t *testing.T, url string, streaming bool) {
	ctx := context.Background()
	for _, mode := range allExecModes {
		t.Run(mode.String(), func(t *testing.T) {
			conn := connectURL(t, url, mode)

			// Scalars: sent as pgtype.UUID (binary in prepared modes) and as
			// text in every accepted spelling.
			var got pgtype.UUID
			if err := conn.QueryRow(ctx, "SELECT $1::uuid", pgtype.UUID{Bytes: uuidA, Valid: true}).Scan(&got); err != nil {
				t.Fatalf("SELECT $1::uuid: %v", err)
			}
			if !got.Valid || got.Bytes != uuidA {
				t.Errorf("SELECT $1::uuid: got %v", got)
			}
			for _, in := range []string{uuidAText, "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}", "a0eebc999c0b4ef8bb6d6bb9bd380a11"} {
				var s string
				if err := conn.QueryRow(ctx, "SELECT $1::text::uuid::text", in).Scan(&s); err != nil || s != uuidAText {
					t.Errorf("%q::uuid::text = %q, %v; want %q", in, s, err, uuidAText)
				}
			}
			var b [16]byte
			if err := conn.QueryRow(ctx, "SELECT '"+uuidAText+"'::uuid").Scan(&b); err != nil || b != uuidA {
				t.Errorf("scan uuid into [16]byte: %x, %v", b, err)
			}
			var null pgtype.UUID
			if err := conn.QueryRow(ctx, "SELECT NULL::uuid").Scan(&null); err != nil || null.Valid {
				t.Errorf("NULL::uuid: %v, %v", null, err)
			}
			var typ string
			if err := conn.QueryRow(ctx, "SELECT pg_typeof(gen_random_uuid())::text").Scan(&typ); err != nil || typ != "uuid" {
				t.Errorf("pg_typeof(gen_random_uuid()) = %q, %v", typ, err)
			}

			// Arrays.
			arr := []pgtype.UUID{{Bytes: uuidA, Valid: true}, {}, {Bytes: uuidF, Valid: true}}
			var gotArr []pgtype.UUID
			if err := conn.QueryRow(ctx, "SELECT $1::uuid[]", arr).Scan(&gotArr); err != nil {
				t.Fatalf("SELECT $1::uuid[]: %v", err)
			}
			if !slices.Equal(gotArr, arr) {
				t.Errorf("uuid[] round trip: sent %v, got %v", arr, gotArr)
			}
			var arrText string
			if err := conn.QueryRow(ctx, "SELECT $1::uuid[]::text", arr).Scan(&arrText); err != nil ||
				arrText != "{"+uuidAText+",NULL,ffffffff-ffff-ffff-ffff-ffffffffffff}" {
				t.Errorf("uuid[]::text = %q, %v", arrText, err)
			}

			// Errors.
			_, err := conn.Exec(ctx, "SELECT $1::text::uuid", "not-a-uuid")
			if sqlstate(err) != "22P02" || !strings.Contains(err.Error(), `invalid input syntax for type uuid: "not-a-uuid"`) {
				t.Errorf("bad uuid text: %v", err)
			}

			// A table keyed by uuid, with a unique and a plain index.
			table := "u_" + identSafe(mode.String())
			mustExec(t, conn,
				"CREATE TABLE "+table+" (id uuid PRIMARY KEY, ext uuid, grp uuid, n int)",
				"CREATE UNIQUE INDEX "+table+"_ext ON "+table+" (ext)",
				"CREATE INDEX "+table+"_grp ON "+table+" (grp)")
			rows := [][]any{
				{pgtype.UUID{Bytes: uuidA, Valid: true}, pgtype.UUID{Bytes: uuid0, Valid: true}, pgtype.UUID{Bytes: uuid8, Valid: true}, 1},
				{pgtype.UUID{Bytes: uuidF, Valid: true}, pgtype.UUID{Bytes: uuidA, Valid: true}, pgtype.UUID{Bytes: uuid8, Valid: true}, 2},
				{pgtype.UUID{Bytes: uuid8, Valid: true}, pgtype.UUID{}, pgtype.UUID{Bytes: uuid0, Valid: true}, 3},
			}
			for _, r := range rows {
				if _, err := conn.Exec(ctx, "INSERT INTO "+table+" VALUES ($1, $2, $3, $4)", r...); err != nil {
					t.Fatalf("insert: %v", err)
				}
			}
			// Binary COPY (pgx CopyFrom) into a table of its own.
			copied := table + "_bin"
			mustExec(t, conn, "CREATE TABLE "+copied+" (id uuid PRIMARY KEY, ids uuid[])")
			nCopied, err := conn.CopyFrom(ctx, pgx.Identifier{copied}, []string{"id", "ids"}, pgx.CopyFromRows([][]any{
				{pgtype.UUID{Bytes: uuidF, Valid: true}, []pgtype.UUID{{Bytes: uuidA, Valid: true}, {}}},
				{pgtype.UUID{Bytes: uuid0, Valid: true}, nil},
			}))
			if err != nil || nCopied != 2 {
				t.Fatalf("CopyFrom: %d, %v", nCopied, err)
			}
			var copiedText string
			if err := conn.QueryRow(ctx, "SELECT string_agg(id::text || ' ' || coalesce(ids::text, '-'), ',' ORDER BY id) FROM "+copied).Scan(&copiedText); err != nil ||
				copiedText != "00000000-0000-0000-0000-000000000000 -,ffffffff-ffff-ffff-ffff-ffffffffffff {"+uuidAText+",NULL}" {
				t.Errorf("after binary COPY: %q, %v", copiedText, err)
			}

			// COPY in text format, with uuid spellings other than the output's.
			tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader("00000000000000000000000000000000\t{FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF}\t00000000-0000-0000-0000-000000000000\t4\n"),
				"COPY "+table+" (id, ext, grp, n) FROM STDIN")
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("COPY FROM: %v, %v", tag, err)
			}
			var out bytes.Buffer
			if _, err := conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT id, ext FROM "+table+" WHERE n = 4) TO STDOUT"); err != nil ||
				out.String() != "00000000-0000-0000-0000-000000000000\tffffffff-ffff-ffff-ffff-ffffffffffff\n" {
				t.Errorf("COPY TO: %q, %v", out.String(), err)
			}
			_, err = conn.Exec(ctx, "INSERT INTO "+table+" (id, n) VALUES ($1, 5)", pgtype.UUID{Bytes: uuidA, Valid: true})
			if sqlstate(err) != "23505" {
				t.Errorf("duplicate uuid primary key: %v", err)
			}
			_, err = conn.Exec(ctx, "INSERT INTO "+table+" (id, ext, n) VALUES (gen_random_uuid(), $1, 5)", pgtype.UUID{Bytes: uuidA, Valid: true})
			if sqlstate(err) != "23505" {
				t.Errorf("duplicate in the unique uuid index: %v", err)
			}
			// Order is bytewise: 00.. < 80.. < a0.. < ff...
			r, err := conn.Query(ctx, "SELECT n FROM "+table+" ORDER BY id")
			if err != nil {
				t.Fatal(err)
			}
			ns, err := pgx.CollectRows(r, pgx.RowTo[int32])
			if err != nil || !slices.Equal(ns, []int32{4, 3, 1, 2}) {
				t.Errorf("ORDER BY id: %v, %v; want [4 3 1 2]", ns, err)
			}
			var n int32
			if err := conn.QueryRow(ctx, "SELECT n FROM "+table+" WHERE id = $1", pgtype.UUID{Bytes: uuidF, Valid: true}).Scan(&n); err != nil || n != 2 {
				t.Errorf("lookup by uuid key: %d, %v", n, err)
			}
			if err := conn.QueryRow(ctx, "SELECT n FROM "+table+" WHERE ext = $1", pgtype.UUID{Bytes: uuidA, Valid: true}).Scan(&n); err != nil || n != 2 {
				t.Errorf("lookup by unique uuid index: %d, %v", n, err)
			}
			var ids []pgtype.UUID
			if err := conn.QueryRow(ctx, "SELECT array_agg(id ORDER BY id) FROM "+table+" WHERE grp = $1", pgtype.UUID{Bytes: uuid8, Valid: true}).Scan(&ids); err != nil ||
				!slices.Equal(ids, []pgtype.UUID{{Bytes: uuidA, Valid: true}, {Bytes: uuidF, Valid: true}}) {
				t.Errorf("array_agg of uuids by group: %v, %v", ids, err)
			}

			// A materialized view grouped by uuid follows inserts and deletes.
			view := table + "_by_grp"
			mustExec(t, conn, "CREATE MATERIALIZED VIEW "+view+" AS SELECT grp, count(*) AS c, sum(n) AS s FROM "+table+" GROUP BY grp")
			mustExec(t, conn, "DELETE FROM "+table+" WHERE id = '"+uuidAText+"'",
				"INSERT INTO "+table+" (id, grp, n) VALUES (gen_random_uuid(), '80000000-0000-0000-0000-000000000000', 10)")
			if streaming {
				mustExec(t, conn, "FLUSH")
			} else {
				mustExec(t, conn, "REFRESH MATERIALIZED VIEW "+view)
			}
			r, err = conn.Query(ctx, "SELECT grp::text, c, s FROM "+view+" ORDER BY grp")
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for r.Next() {
				var g string
				var c, s int64
				if err := r.Scan(&g, &c, &s); err != nil {
					t.Fatal(err)
				}
				lines = append(lines, fmt.Sprintf("%s %d %d", g, c, s))
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			want := []string{"00000000-0000-0000-0000-000000000000 2 7", "80000000-0000-0000-0000-000000000000 2 12"}
			if !slices.Equal(lines, want) {
				t.Errorf("view grouped by uuid:\n got %q\nwant %q", lines, want)
			}
			var grp pgtype.UUID
			if err := conn.QueryRow(ctx, "SELECT grp FROM "+view+" WHERE c = 2 ORDER BY grp DESC LIMIT 1").Scan(&grp); err != nil || grp.Bytes != uuid8 {
				t.Errorf("uuid column of a view: %v, %v", grp, err)
			}
		})
	}
}

package testutil

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestStartPostgres(t *testing.T) {
	pg := StartPostgres(t)
	conn, err := pgx.Connect(context.Background(), pg.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(context.Background(), "SHOW server_version_num").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if len(v) < 6 || v[:2] != pg.Version {
		t.Fatalf("server_version_num %q, installed %q", v, pg.Version)
	}
}

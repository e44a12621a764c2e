#!/usr/bin/env bash
# postgres_baseline.sh: the PostgreSQL 15 side of the views benchmark. Loads
# the same rows as views_bench_test.go into a throwaway cluster and times,
# once each, the load (COPY) and the recomputation of the same queries
# (CREATE MATERIALIZED VIEW ... AS <the view's query>, which runs the query
# and stores its result, like our view after FLUSH).
#
# Run by hand, not in CI:
#   bench/views/postgres_baseline.sh                      # 1 M rows / 100 K keys, join 1 M per side
#   ROWS=10000000 KEYS=1000000 JOIN_ROWS=1000000 bench/views/postgres_baseline.sh
#
# Installs PostgreSQL from Debian when initdb is missing (needs root or
# sudo). Runs the cluster as an unprivileged user: the current one, or
# "pgbench_views" (created if needed) when run as root. Everything lives in
# a temp dir that is removed on exit.
set -euo pipefail

ROWS=${ROWS:-${STREAMDB_BENCH_ROWS:-1000000}}
KEYS=${KEYS:-${STREAMDB_BENCH_KEYS:-100000}}
JOIN_ROWS=${JOIN_ROWS:-${STREAMDB_BENCH_JOIN_ROWS:-1000000}}

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/initdb" ]; then
	echo "installing postgresql from Debian" >&2
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql </dev/null
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

RUNAS=()
if [ "$(id -u)" = 0 ]; then
	id pgbench_views >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pgbench_views
	RUNAS=(runuser -u pgbench_views --)
fi

WORK=$(mktemp -d /tmp/pg_baseline.XXXXXX)
chmod 755 "$WORK"
[ "$(id -u)" = 0 ] && chown pgbench_views "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cleanup() {
	"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

"${RUNAS[@]}" "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust >/dev/null
"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w \
	-o "-p $PORT -k $WORK -c listen_addresses='' -c shared_buffers=1GB -c work_mem=256MB -c maintenance_work_mem=512MB -c max_wal_size=8GB -c max_parallel_workers_per_gather=2" start >/dev/null

psql_run() {
	"${RUNAS[@]}" "$PGBIN/psql" -X -q -h "$WORK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"
}

# The rows, generated with the formulas of views_bench_test.go: group row i
# is (i*7919 % KEYS, i % 1000); join side row i is (i, i*7919 % JOIN_ROWS, i % 1000).
echo "generating data" >&2
awk -v n="$ROWS" -v keys="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "%d\t%d\n", (i * 7919) % keys, i % 1000 }' >"$WORK/g.tsv"
awk -v n="$JOIN_ROWS" 'BEGIN { for (i = 0; i < n; i++) printf "%d\t%d\t%d\n", i, (i * 7919) % n, i % 1000 }' >"$WORK/side.tsv"
chmod 644 "$WORK"/*.tsv

# \timing prints "Time: N ms" after each statement; keep the label with it.
timed() {
	local label=$1 sql=$2
	local ms
	ms=$(psql_run -c '\timing on' -c "$sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
	printf '%-48s %10.0f ms\n' "$label" "$ms"
}

echo "PostgreSQL: $("$PGBIN/postgres" --version), $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg)"
psql_run -c "CREATE TABLE g (k bigint, v bigint)" -c "CREATE TABLE l (id bigint, k bigint, a bigint)" -c "CREATE TABLE r (id bigint, k bigint, b bigint)"
timed "load g: $ROWS rows (COPY)" "COPY g FROM '$WORK/g.tsv'"
psql_run -c "VACUUM ANALYZE g" >/dev/null
timed "group by: $KEYS keys (CREATE MATERIALIZED VIEW)" "CREATE MATERIALIZED VIEW gv AS SELECT k, count(*) AS c, sum(v) AS s FROM g GROUP BY k"
timed "group by: again (REFRESH MATERIALIZED VIEW)" "REFRESH MATERIALIZED VIEW gv"
timed "load l+r: 2 x $JOIN_ROWS rows (COPY)" "COPY l FROM '$WORK/side.tsv'; COPY r FROM '$WORK/side.tsv'"
psql_run -c "VACUUM ANALYZE l" -c "VACUUM ANALYZE r" >/dev/null
timed "join: $JOIN_ROWS x $JOIN_ROWS (CREATE MATERIALIZED VIEW)" "CREATE MATERIALIZED VIEW jv AS SELECT l.id, l.a, r.b FROM l JOIN r ON l.k = r.k"
timed "join: again (REFRESH MATERIALIZED VIEW)" "REFRESH MATERIALIZED VIEW jv"
psql_run -At -c "SELECT 'check: gv ' || count(*) || ' groups, ' || sum(c) || ' rows; jv ' || (SELECT count(*) FROM jv) || ' rows' FROM gv"

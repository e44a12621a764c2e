package nexmark

import (
	_ "embed"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cockroachdb/errors"
)

// queriesSQL is the Nexmark query file (a copy of the reference query
// file). The server's correctness tests read the same file, so the
// benchmark measures exactly the queries that are checked against
// PostgreSQL.
//
//go:embed queries.sql
var queriesSQL string

var viewStatement = regexp.MustCompile(`(?s)\nCREATE MATERIALIZED VIEW nexmark_(q\d+) AS\n(.*?);`)

// Query is one Nexmark query: its name (q0 ...) and its SELECT.
type Query struct {
	Name string
	SQL  string
}

// Queries returns the in-scope Nexmark queries in numeric order.
func Queries() []Query {
	var out []Query
	for _, m := range viewStatement.FindAllStringSubmatch(queriesSQL, -1) {
		out = append(out, Query{Name: m[1], SQL: m[2]})
	}
	sort.Slice(out, func(i, j int) bool { return queryNumber(out[i].Name) < queryNumber(out[j].Name) })
	return out
}

func queryNumber(name string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(name, "q"))
	return n
}

// LookupQuery returns the query named name (q0 ...).
func LookupQuery(name string) (Query, error) {
	for _, q := range Queries() {
		if q.Name == name {
			return q, nil
		}
	}
	return Query{}, errors.Newf("no Nexmark query %q (have %s)", name, strings.Join(QueryNames(), ", "))
}

// QueryNames lists the in-scope queries.
func QueryNames() []string {
	var names []string
	for _, q := range Queries() {
		names = append(names, q.Name)
	}
	return names
}

// SourceDDL creates the three Nexmark sources bounded to events events of
// all kinds (unbounded when events is 0) (the column lists of the reference query file), writing
// chunk rows per table-store transaction.
func SourceDDL(events int64, chunk int) []string {
	bound := ""
	if events > 0 {
		bound = ", nexmark.event.num = " + strconv.FormatInt(events, 10)
	}
	with := func(kind string) string {
		return "WITH (connector = 'nexmark', nexmark.table.type = '" + kind + "'" + bound +
			", nexmark.max.chunk.size = " + strconv.Itoa(chunk) + ")"
	}
	return []string{
		`CREATE SOURCE person (id BIGINT, name VARCHAR, email_address VARCHAR, credit_card VARCHAR, city VARCHAR, state VARCHAR,
			date_time TIMESTAMP, extra VARCHAR) ` + with("person"),
		`CREATE SOURCE auction (id BIGINT, item_name VARCHAR, description VARCHAR, initial_bid BIGINT, reserve BIGINT,
			date_time TIMESTAMP, expires TIMESTAMP, seller BIGINT, category BIGINT, extra VARCHAR) ` + with("auction"),
		`CREATE SOURCE bid (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, url VARCHAR, date_time TIMESTAMP,
			extra VARCHAR) ` + with("bid"),
	}
}

package server

import (
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/streamdb/streamdb/pgwire"
	"github.com/streamdb/streamdb/sql/types"
)

// serverVersion is what server_version reports: psql and drivers branch on
// the major version, so it must look like Postgres 16.
const serverVersion = "16.4 (streamdb)"

// settingDef describes one session parameter.
type settingDef struct {
	def   string
	desc  string
	check func(string) (string, error) // normalises or rejects a value
}

// settingDefs are the session parameters streamdb knows. Names are
// lower-case.
var settingDefs = map[string]settingDef{
	"application_name":                    {def: "", desc: "Sets the application name to be reported in statistics and logs."},
	"client_encoding":                     {def: "UTF8", desc: "Sets the client's character set encoding.", check: checkEncoding},
	"server_encoding":                     {def: "UTF8", desc: "Shows the server (database) character set encoding.", check: readOnly},
	"server_version":                      {def: serverVersion, desc: "Shows the server version.", check: readOnly},
	"server_version_num":                  {def: "160004", desc: "Shows the server version as an integer.", check: readOnly},
	"datestyle":                           {def: "ISO, MDY", desc: "Sets the display format for date and time values.", check: checkDateStyle},
	"intervalstyle":                       {def: "postgres", desc: "Sets the display format for interval values.", check: checkIntervalStyle},
	"timezone":                            {def: "UTC", desc: "Sets the time zone for displaying and interpreting time stamps.", check: checkTimeZone},
	"integer_datetimes":                   {def: "on", desc: "Shows whether datetimes are integer based.", check: readOnly},
	"standard_conforming_strings":         {def: "on", desc: "Causes '...' strings to treat backslashes literally.", check: checkOn},
	"search_path":                         {def: `"$user", public`, desc: "Sets the schema search order for names that are not schema-qualified."},
	"extra_float_digits":                  {def: "1", desc: "Sets the number of digits displayed for floating-point values.", check: checkInt},
	"statement_timeout":                   {def: "0", desc: "Sets the maximum allowed duration of any statement.", check: checkDuration},
	"lock_timeout":                        {def: "0", desc: "Sets the maximum allowed duration of any wait for a lock."},
	"idle_in_transaction_session_timeout": {def: "0", desc: "Sets the maximum allowed idle time between queries, when in a transaction."},
	"default_transaction_isolation":       {def: "serializable", desc: "Sets the transaction isolation level of each new transaction."},
	"transaction_isolation":               {def: "serializable", desc: "Sets the current transaction's isolation level."},
	"default_transaction_read_only":       {def: "off", desc: "Sets the default read-only status of new transactions."},
	"transaction_read_only":               {def: "off", desc: "Sets the current transaction's read-only status."},
	"max_identifier_length":               {def: "63", desc: "Shows the maximum identifier length.", check: readOnly},
	"bytea_output":                        {def: "hex", desc: "Sets the output format for bytea.", check: checkByteaOutput},
	"client_min_messages":                 {def: "notice", desc: "Sets the message levels that are sent to the client."},
	"lc_messages":                         {def: "C.UTF-8", desc: "Sets the language in which messages are displayed."},
	"lc_monetary":                         {def: "C.UTF-8", desc: "Sets the locale for formatting monetary amounts."},
	"lc_numeric":                          {def: "C.UTF-8", desc: "Sets the locale for formatting numbers."},
	"lc_time":                             {def: "C.UTF-8", desc: "Sets the locale for formatting date and time values."},
	"lc_collate":                          {def: "C.UTF-8", desc: "Shows the collation order locale.", check: readOnly},
	"lc_ctype":                            {def: "C.UTF-8", desc: "Shows the character classification and case conversion locale.", check: readOnly},
	"block_size":                          {def: "8192", desc: "Shows the size of a disk block.", check: readOnly},
	"max_connections":                     {def: "100", desc: "Sets the maximum number of concurrent connections.", check: readOnly},
	"row_security":                        {def: "on", desc: "Enable row security."},
	"synchronous_commit":                  {def: "on", desc: "Sets the current transaction's synchronization level."},
	"jit":                                 {def: "off", desc: "Allow JIT compilation."},
	"work_mem":                            {def: "4MB", desc: "Sets the maximum memory to be used for query workspaces."},
	"timezone_abbreviations":              {def: "Default", desc: "Selects a file of time zone abbreviations."},
	"default_with_oids":                   {def: "off", desc: "WITH OIDS is no longer supported; this can only be false."},
	"check_function_bodies":               {def: "on", desc: "Check routine bodies during CREATE FUNCTION and CREATE PROCEDURE."},
	"xmloption":                           {def: "content", desc: "Sets whether XML data in implicit parsing and serialization operations is to be considered as documents or content fragments."},
	"geqo":                                {def: "on", desc: "Enables genetic query optimization."},
	"session_replication_role":            {def: "origin", desc: "Sets the session's behavior for triggers and rewrite rules."},
	"default_tablespace":                  {def: "", desc: "Sets the default tablespace to create tables and indexes in."},
	"is_superuser":                        {def: "on", desc: "Shows whether the current user is a superuser.", check: readOnly},
	"implicit_flush":                      {def: "off", desc: "streamdb: every DML statement behaves as if followed by FLUSH.", check: checkBool},
	"enable_seqscan":                      {def: "on", desc: "Enables the planner's use of sequential-scan plans."},
	"max_parallel_workers_per_gather":     {def: "0", desc: "Sets the maximum number of parallel processes per executor node."},
}

// reportedSettings are sent as ParameterStatus at startup and when SET.
var reportedSettings = []string{"application_name", "client_encoding", "datestyle", "intervalstyle", "timezone", "integer_datetimes", "standard_conforming_strings", "server_encoding", "default_transaction_read_only", "in_hot_standby"}

// settingDisplayName is the spelling Postgres reports a parameter with.
func settingDisplayName(name string) string {
	switch name {
	case "datestyle":
		return "DateStyle"
	case "intervalstyle":
		return "IntervalStyle"
	case "timezone":
		return "TimeZone"
	}
	return name
}

func readOnly(string) (string, error) {
	return "", types.Errorf("55P02", "parameter cannot be changed")
}

func checkOn(v string) (string, error) {
	if b, ok := parseBoolSetting(v); ok && b {
		return "on", nil
	}
	return "", types.Errorf(types.CodeInvalidParameterValue, "non-standard string literals are not supported")
}

func checkBool(v string) (string, error) {
	if b, ok := parseBoolSetting(v); ok {
		if b {
			return "on", nil
		}
		return "off", nil
	}
	return "", types.Errorf(types.CodeInvalidParameterValue, "parameter requires a Boolean value")
}

func parseBoolSetting(v string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "on", "true", "yes", "1", "t", "y":
		return true, true
	case "off", "false", "no", "0", "f", "n":
		return false, true
	}
	return false, false
}

func checkInt(v string) (string, error) {
	if _, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
		return "", types.Errorf(types.CodeInvalidParameterValue, "invalid value for parameter: %q", v)
	}
	return strings.TrimSpace(v), nil
}

func checkDuration(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "0" {
		return v, nil
	}
	d := parseDurationSetting(v)
	if d <= 0 {
		return "", types.Errorf(types.CodeInvalidParameterValue, "invalid value for parameter \"statement_timeout\": %q", v)
	}
	return formatMillisSetting(d), nil
}

// formatMillisSetting shows a millisecond setting as Postgres' SHOW does:
// rounded to milliseconds, in the largest unit that divides it exactly
// (200 -> 200ms, 60000 -> 1min).
func formatMillisSetting(d time.Duration) string {
	ms := (d + time.Millisecond/2).Milliseconds()
	if ms == 0 {
		return "0"
	}
	for _, u := range []struct {
		ms   int64
		name string
	}{{86_400_000, "d"}, {3_600_000, "h"}, {60_000, "min"}, {1000, "s"}} {
		if ms%u.ms == 0 {
			return strconv.FormatInt(ms/u.ms, 10) + u.name
		}
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

func checkEncoding(v string) (string, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(v), "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	case "SQL_ASCII":
		return "SQL_ASCII", nil
	}
	return "", types.Errorf(types.CodeInvalidParameterValue, "invalid value for parameter \"client_encoding\": %q (only UTF8 is supported)", v)
}

func checkDateStyle(v string) (string, error) {
	u := strings.ToUpper(v)
	if strings.Contains(u, "ISO") || u == "MDY" || u == "DMY" || u == "YMD" {
		return "ISO, MDY", nil
	}
	return "", types.Errorf(types.CodeFeatureNotSupported, "DateStyle %q is not supported; only ISO output is", v)
}

func checkIntervalStyle(v string) (string, error) {
	if strings.EqualFold(strings.TrimSpace(v), "postgres") {
		return "postgres", nil
	}
	return "", types.Errorf(types.CodeFeatureNotSupported, "IntervalStyle %q is not supported; only postgres is", v)
}

func checkByteaOutput(v string) (string, error) {
	if strings.EqualFold(strings.TrimSpace(v), "hex") {
		return "hex", nil
	}
	return "", types.Errorf(types.CodeFeatureNotSupported, "bytea_output %q is not supported; only hex is", v)
}

func checkTimeZone(v string) (string, error) {
	v = strings.TrimSpace(v)
	if _, err := types.LoadZone(v); err != nil {
		return "", types.Errorf(types.CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
	}
	if strings.EqualFold(v, "utc") {
		return "UTC", nil
	}
	return v, nil
}

// settings are one session's parameters.
type settings struct {
	user   string
	values map[string]string
	loc    *time.Location
}

func newSettings(user string) *settings {
	s := &settings{user: user, values: map[string]string{}, loc: time.UTC}
	for k, d := range settingDefs {
		s.values[k] = d.def
	}
	s.values["session_authorization"] = user
	s.values["in_hot_standby"] = "off"
	return s
}

func (s *settings) get(name string) string { v, _ := s.lookup(name); return v }

func (s *settings) lookup(name string) (string, bool) {
	v, ok := s.values[strings.ToLower(name)]
	return v, ok
}

// set changes a parameter, validating it.
func (s *settings) set(name, value string) error {
	key := strings.ToLower(strings.TrimSpace(name))
	def, known := settingDefs[key]
	if !known {
		if strings.Contains(key, ".") {
			s.values[key] = value
			return nil
		}
		return types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter %q", name)
	}
	if def.check != nil {
		v, err := def.check(value)
		if err != nil {
			if types.Code(err) == "55P02" {
				if value == s.values[key] {
					return nil
				}
				return types.Errorf("55P02", "parameter %q cannot be changed", key)
			}
			return err
		}
		value = v
	}
	if key == "timezone" {
		loc, err := types.LoadZone(value)
		if err != nil {
			return types.Errorf(types.CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", value)
		}
		s.loc = loc
	}
	s.values[key] = value
	return nil
}

func (s *settings) location() *time.Location { return s.loc }

// searchPath returns the schemas of search_path with $user resolved.
func (s *settings) searchPath() []string {
	var out []string
	for _, p := range strings.Split(s.values["search_path"], ",") {
		p = strings.TrimSpace(p)
		p = strings.Trim(p, `"`)
		if p == "" {
			continue
		}
		if p == "$user" {
			// "$user" names the schema called like the user, unless that is
			// a system schema (the superuser is called streamdb, like the
			// schema of the system views).
			if s.user == "streamdb" || s.user == "pg_catalog" || s.user == "information_schema" {
				continue
			}
			p = s.user
		}
		out = append(out, p)
	}
	return out
}

var showAllCols = types.Schema{{Name: "name", Type: types.Text}, {Name: "setting", Type: types.Text}, {Name: "description", Type: types.Text}}

// setStmt runs SET / RESET.
func (sess *session) setStmt(vs *pg_query.VariableSetStmt, w pgwire.ResultWriter) error {
	name := strings.ToLower(vs.Name)
	tag := "SET"
	var value string
	switch vs.Kind {
	case pg_query.VariableSetKind_VAR_SET_VALUE, pg_query.VariableSetKind_VAR_SET_CURRENT:
		parts := make([]string, 0, len(vs.Args))
		for _, a := range vs.Args {
			parts = append(parts, settingArg(a))
		}
		value = strings.Join(parts, ", ")
		if name == "timezone" && len(vs.Args) == 1 && vs.Args[0].GetTypeCast() != nil {
			value = settingArg(vs.Args[0])
		}
	case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET:
		if vs.Kind == pg_query.VariableSetKind_VAR_RESET {
			tag = "RESET"
		}
		def, ok := settingDefs[name]
		if !ok && !strings.Contains(name, ".") {
			return types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter %q", vs.Name)
		}
		value = def.def
	case pg_query.VariableSetKind_VAR_RESET_ALL:
		sess.settings = newSettings(sess.info.User)
		return w.Complete("RESET")
	case pg_query.VariableSetKind_VAR_SET_MULTI:
		// SET TRANSACTION / SESSION CHARACTERISTICS: every transaction is
		// serializable already.
		return w.Complete("SET")
	}
	if name == "transaction_isolation" || name == "default_transaction_isolation" || name == "transaction_read_only" {
		return w.Complete(tag)
	}
	if name == "session_authorization" || name == "role" {
		return types.Unsupported("SET ROLE / SESSION AUTHORIZATION")
	}
	if err := sess.settings.set(name, value); err != nil {
		return err
	}
	for _, r := range reportedSettings {
		if r == name {
			if err := w.ParameterStatus(settingDisplayName(name), sess.settings.get(name)); err != nil {
				return err
			}
		}
	}
	return w.Complete(tag)
}

// settingArg renders one SET argument as its text value.
func settingArg(n *pg_query.Node) string {
	if c := n.GetAConst(); c != nil {
		switch {
		case c.GetSval() != nil:
			return c.GetSval().Sval
		case c.GetIval() != nil:
			return strconv.Itoa(int(c.GetIval().Ival))
		case c.GetFval() != nil:
			return c.GetFval().Fval
		case c.GetBoolval() != nil:
			if c.GetBoolval().Boolval {
				return "on"
			}
			return "off"
		}
	}
	if tc := n.GetTypeCast(); tc != nil {
		// SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE
		return settingArg(tc.Arg)
	}
	if s := n.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

func (sess *session) showStmt(ss *pg_query.VariableShowStmt, w pgwire.ResultWriter, simple bool) error {
	name := strings.ToLower(ss.Name)
	if name == "all" {
		if simple {
			if err := w.Columns(showAllCols); err != nil {
				return err
			}
		}
		names := make([]string, 0, len(settingDefs))
		for k := range settingDefs {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			if err := w.Row(types.Row{types.DString(settingDisplayName(k)), types.DString(sess.settings.get(k)), types.DString(settingDefs[k].desc)}); err != nil {
				return err
			}
		}
		return w.Complete("SHOW")
	}
	if name == "transaction isolation level" {
		name = "transaction_isolation"
	}
	if name == "session authorization" {
		name = "session_authorization"
	}
	v, ok := sess.settings.lookup(name)
	if !ok {
		return types.Errorf(types.CodeUndefinedObject, "unrecognized configuration parameter %q", ss.Name)
	}
	if simple {
		if err := w.Columns(types.Schema{{Name: name, Type: types.Text}}); err != nil {
			return err
		}
	}
	if err := w.Row(types.Row{types.DString(v)}); err != nil {
		return err
	}
	return w.Complete("SHOW")
}

func debugStack() []byte { return debug.Stack() }

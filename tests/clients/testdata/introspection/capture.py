#!/usr/bin/env python3
"""Turns a PostgreSQL 15 server log (log_statement = 'all') into fixture files.

How the fixtures were made: a tool ran against PostgreSQL 15 with the test
schema (introspection_test.go), and before each tool call the driver sent
SELECT 'fixture:<name>'. Every statement after such a marker, up to the next
one, is one fixture <name>[-k].sql. Bind parameters ($1 ...) are inlined from
the log's DETAIL line, and OIDs of the schema's objects become
{{oid:schema.name}}, which the test resolves on each server.

usage: capture.py LOG OUTDIR HEADER_TOOL HEADER_SOURCE OIDMAP
  OIDMAP is 'oid=schema.name,oid=schema.name,...'
"""
import os
import re
import sys

log_path, outdir, tool, source, oidmap = sys.argv[1:6]
oids = dict(kv.split("=", 1) for kv in oidmap.split(",") if kv)
log = open(log_path).read()
entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:)", log)
stmts = []
for i, e in enumerate(entries):
    m = re.search(r"LOG:  (?:statement|execute [^:]*): (.*)", e, re.S)
    if not m:
        continue
    sql = m.group(1).rstrip()
    params = {}
    if i + 1 < len(entries):
        d = re.search(r"DETAIL:  parameters: (.*)", entries[i + 1], re.S)
        if d:
            for pm in re.finditer(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", d.group(1)):
                params[pm.group(1)] = pm.group(2)
    if params:
        sql = re.sub(r"\$(\d+)\b", lambda mm: params.get(mm.group(1), mm.group(0)), sql)
    stmts.append(sql)

name = None
count = {}
skip = re.compile(r"^(BEGIN|ROLLBACK|COMMIT|SET |SHOW |show |select pg_catalog.version|select current_schema)", re.I)
os.makedirs(outdir, exist_ok=True)
for sql in stmts:
    m = re.match(r"SELECT 'fixture:([^']+)'", sql)
    if m:
        name = m.group(1)
        continue
    if name is None or skip.match(sql):
        continue
    for oid, rel in oids.items():
        sql = re.sub(r"(?<![\w.])" + oid + r"(?![\w.])", "{{oid:%s}}" % rel, sql)
    count[name] = count.get(name, 0) + 1
    fn = name if count[name] == 1 else "%s-%d" % (name, count[name])
    with open(os.path.join(outdir, fn + ".sql"), "w") as f:
        f.write("-- tool: %s\n-- call: %s\n-- source: %s\n" % (tool, name, source))
        f.write(sql.replace("\t", "    ").rstrip() + "\n")

#!/usr/bin/env python3
"""Writes the benchmark fixtures into DIR: request bodies, the fixed upstream
responses and the two nginx configs.

    fixtures.py DIR UPSTREAM_PORT PROXY_PORT

The fixed upstream answers every POST /v2/pipeline with one execute result whose
rows are four text cells (type, name, tbl_name, sql) describing a `users` table:
that is a valid answer to the gate's schema query (SELECT type, name, tbl_name,
sql FROM sqlite_schema) and a well-formed answer to the benchmark's SELECT and
INSERT. POST /v3/pipeline answers 100 rows of (id, name, email)."""
import json
import sys

out, upstream_port, proxy_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

USERS_SQL = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)"


def text(v):
    return {"type": "text", "value": v}


def execute_ok(cols, rows, affected=0, rowid=None):
    return {"type": "ok", "response": {"type": "execute", "result": {
        "cols": [{"name": c, "decltype": d} for c, d in cols],
        "rows": rows, "affected_row_count": affected, "last_insert_rowid": rowid,
        "replication_index": None, "rows_read": len(rows), "rows_written": 0, "query_duration_ms": 0.01}}}


close_ok = {"type": "ok", "response": {"type": "close"}}
schema_like = {"baton": None, "base_url": None, "results": [
    execute_ok([("type", "TEXT"), ("name", "TEXT"), ("tbl_name", "TEXT"), ("sql", "TEXT")],
               [[text("table"), text("users"), text("users"), text(USERS_SQL)]]),
    close_ok]}
hundred = {"baton": None, "base_url": None, "results": [
    execute_ok([("id", "INTEGER"), ("name", "TEXT"), ("email", "TEXT")],
               [[{"type": "integer", "value": str(i)}, text(f"user {i}"), text(f"user{i}@example.com")]
                for i in range(1, 101)]),
    close_ok]}
small_body = json.dumps(schema_like, separators=(",", ":"))
big_body = json.dumps(hundred, separators=(",", ":"))
assert "'" not in small_body and "'" not in big_body  # nginx single-quoted strings

requests = {
    "select": {"baton": None, "requests": [
        {"type": "execute", "stmt": {"sql": "SELECT id, name, email FROM users WHERE id = ?",
                                     "args": [{"type": "integer", "value": "42"}], "want_rows": True}},
        {"type": "close"}]},
    "rows100": {"baton": None, "requests": [
        {"type": "execute", "stmt": {"sql": "SELECT id, name, email FROM users ORDER BY id LIMIT ?",
                                     "args": [{"type": "integer", "value": "100"}], "want_rows": True}},
        {"type": "close"}]},
    "insert": {"baton": None, "requests": [
        {"type": "execute", "stmt": {"sql": "INSERT INTO users (name, email) VALUES (?, ?)",
                                     "args": [text("ada"), text("ada@example.com")], "want_rows": False}},
        {"type": "close"}]},
}
for name, body in requests.items():
    with open(f"{out}/{name}.json", "w") as f:
        f.write(json.dumps(body, separators=(",", ":")))

def fixed_return(prefix, body):
    """nginx limits one parameter to 4 KB: the body is set in chunks and returned joined."""
    chunks = [body[i:i + 3000] for i in range(0, len(body), 3000)]
    lines = "".join(f"      set ${prefix}{i} '{c}';\n" for i, c in enumerate(chunks))
    joined = "".join(f"${prefix}{i}" for i in range(len(chunks)))
    return lines + f'      return 200 "{joined}";\n'


common = f"""worker_processes 1;
events {{ worker_connections 8192; }}
"""
http_common = f"""  access_log off;
  client_body_temp_path {out}/tmp-body; proxy_temp_path {out}/tmp-proxy;
  fastcgi_temp_path {out}/tmp-fcgi; uwsgi_temp_path {out}/tmp-uwsgi; scgi_temp_path {out}/tmp-scgi;
  keepalive_requests 10000000; keepalive_timeout 120s;
"""
with open(f"{out}/upstream.conf", "w") as f:
    f.write(common + f"""pid {out}/upstream.pid;
http {{
{http_common}  default_type application/json;
  server {{
    listen 127.0.0.1:{upstream_port} backlog=4096;
    location = /v2/pipeline {{
{fixed_return("s", small_body)}    }}
    location = /v3/pipeline {{
{fixed_return("b", big_body)}    }}
    location = /health {{ return 200 ''; }}
    location / {{ return 404 '{{"error":"not found"}}'; }}
  }}
}}
""")
with open(f"{out}/proxy.conf", "w") as f:
    f.write(common + f"""pid {out}/proxy.pid;
http {{
{http_common}  upstream fixed {{ server 127.0.0.1:{upstream_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{proxy_port} backlog=4096;
    location / {{
      proxy_pass http://fixed;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
""")

#!/usr/bin/env python3
"""The worked example of docs/engines.md, as a test: a governed query in DuckDB for several users of a real cairnd.

Usage: engine_example_test.py PATH/TO/cairnd [-v]

For each store (the embedded SQLite store, and PostgreSQL in a fresh database when CAIRN_TEST_DATABASE_URL is set)
it starts cairnd with known administrator credentials and, through the native API signed with botocore:
writes hr.employees as a Parquet file with DuckDB (tests/engines/governed_query.mjs write), creates the database
and the table pointing at it, users, a group, a tag key with assignments, a data cells filter and grants; then runs
tests/engines/governed_query.mjs query as each user (the script signs with its own SigV4 code, resolves the table,
builds the governed SELECT and runs it in DuckDB) and checks the exact rows and values each user gets:

  alice   SELECT on every column but salary, email masked hash_sha256   -> all rows, email = DuckDB's sha256(email)
  bob     member of emea: filter country = 'DE', every column but name  -> the DE rows only, no name column
  dana    TAG_POLICY classification=public, hire_date masked year_only  -> id, country, hire_date (year) on all rows
  erin    member of emea, plus columns id, email, country with email redacted -> all rows; email unmasked on DE rows
          and '****' elsewhere (unmasked wins), salary and hire_date NULL outside DE rows (cell filters)
  carol   nothing                                                       -> 404, same body as a missing table

plus the query authorization (format, expiry, verification by its principal and by the administrator, refusal for
another user and for a tampered id), the dialect parameter, and that a revocation applies to the next resolve.

Prints one line per check and "N passed, M failed"; exits 0 when all passed, 1 otherwise, and 77 (ctest SKIP) when
node or tests/engines/node_modules is missing (run `npm ci` in tests/engines).
"""

import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cairn_testing  # noqa: E402 - found through the path set just above

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "governed_query.mjs")
ADMIN_KEY_ID = "AKIACAIRNENGINEADMIN"
ADMIN_SECRET = "cairn-engine-test-admin-secret-0123456789"
REGION = "eu-central-1"  # any region is accepted
SKIP = 77
VERBOSE = False

# hr.employees: (id bigint, name string, email string, salary decimal(10,2), country string, hire_date date).
COLUMNS = [("id", "bigint", "BIGINT"), ("name", "string", "VARCHAR"), ("email", "string", "VARCHAR"),
           ("salary", "decimal(10,2)", "DECIMAL(10,2)"), ("country", "string", "VARCHAR"),
           ("hire_date", "date", "DATE")]
ROWS = [
    ["1", "Ada Lovelace", "ada@example.com", "120000.00", "GB", "2019-03-01"],
    ["2", "Bruno Keller", "bruno@example.de", "95000.50", "DE", "2020-07-15"],
    ["3", "Chloé Martin", "chloe@example.fr", "88000.00", "FR", "2021-01-10"],
    ["4", "Dieter Braun", "dieter@example.de", "101000.00", "DE", "2018-11-30"],
    ["5", "Eva Novak", None, "77000.00", "DE", "2022-05-02"],
    ["6", "Frank Ito", "frank@example.com", "66000.00", None, "2023-02-14"],
]
ORDERED = "SELECT * FROM governed ORDER BY ALL"


def log(text):
    if VERBOSE:
        print(text, flush=True)


def Client(endpoint, key_id, secret):
    """Native API calls signed with botocore's SigV4Auth (service cairn), traced with -v."""
    return cairn_testing.NativeClient(endpoint, key_id, secret, REGION, trace=log)


def node(*args, env=None):
    """Runs governed_query.mjs; returns (exit code, parsed JSON stdout)."""
    proc = subprocess.run(["node", SCRIPT] + list(args), capture_output=True, text=True, timeout=120,
                          env=env if env is not None else os.environ.copy())
    if proc.returncode not in (0, 3):
        raise AssertionError("governed_query.mjs %s exited %d:\n%s%s" % (args[0], proc.returncode, proc.stdout,
                                                                        proc.stderr))
    log("  node governed_query.mjs %s -> %d\n%s" % (" ".join(args), proc.returncode, proc.stdout))
    return proc.returncode, json.loads(proc.stdout)


class Example:
    """One store's run: the setup and every check."""

    def __init__(self, cairnd, workdir):
        self.server = cairnd
        self.admin = Client(cairnd.endpoint, ADMIN_KEY_ID, ADMIN_SECRET)
        self.work = workdir
        self.keys = {}
        self.data_dir = os.path.join(workdir, "lake", "hr", "employees")
        self.data_file = os.path.join(self.data_dir, "part-00000.parquet")

    def user_env(self, user):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAIRN_"))}
        key_id, secret = self.keys[user]
        env.update({"CAIRN_ENDPOINT": self.server.endpoint, "AWS_ACCESS_KEY_ID": key_id,
                    "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": REGION})
        return env

    def query(self, user, *extra, table="employees"):
        return node("query", "--database", "hr", "--table", table, *extra, env=self.user_env(user))

    def setup(self):
        os.makedirs(self.data_dir)
        spec = os.path.join(self.work, "employees.json")
        with open(spec, "w") as f:
            json.dump({"columns": [{"name": n, "type": t} for n, _, t in COLUMNS], "rows": ROWS}, f)
        node("write", "--out", self.data_file, "--spec", spec)

        a = self.admin
        a.ok("POST", "/v1/databases", {"name": "hr", "description": "people data"})
        a.ok("POST", "/v1/databases/hr/tables", {
            "name": "employees",
            "table_type": "EXTERNAL_TABLE",
            "parameters": {"classification": "parquet"},
            "storage_descriptor": {
                "columns": [{"name": n, "type": t} for n, t, _ in COLUMNS],
                "location": "file://" + self.data_dir + "/",
                "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "serde_info": {"serialization_library":
                               "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
            },
        })
        for user in ("alice", "bob", "carol", "dana", "erin"):
            a.ok("POST", "/v1/users", {"name": user})
            key = a.ok("POST", "/v1/users/%s/access-keys" % user)
            self.keys[user] = (key["access_key_id"], key["secret_access_key"])
        a.ok("POST", "/v1/groups", {"name": "emea"})
        for user in ("bob", "erin"):
            a.ok("PUT", "/v1/groups/emea/members/" + user)

        # alice: every column but salary, email hashed.
        a.ok("POST", "/v1/permissions/grant", {
            "principal": "user:alice",
            "resource": {"kind": "TABLE_WITH_COLUMNS", "database": "hr", "table": "employees",
                         "column_wildcard": True, "excluded_columns": ["salary"]},
            "permissions": ["SELECT"], "column_masks": {"email": "hash_sha256"}})
        # emea (bob, erin): the German rows, every column but name.
        a.ok("POST", "/v1/databases/hr/tables/employees/filters", {
            "name": "emea_de", "row_filter": "country = 'DE'", "column_wildcard": True,
            "excluded_columns": ["name"]})
        a.ok("POST", "/v1/permissions/grant", {
            "principal": "group:emea",
            "resource": {"kind": "DATA_CELLS_FILTER", "database": "hr", "table": "employees", "filter": "emea_de"},
            "permissions": ["SELECT"]})
        # dana: whatever is tagged classification=public; the database (so the table) is internal.
        a.ok("POST", "/v1/tags", {"key": "classification", "values": ["public", "internal", "pii"]})
        a.ok("PUT", "/v1/databases/hr/tags", {"tags": {"classification": "internal"}})
        for column in ("id", "country", "hire_date"):
            a.ok("PUT", "/v1/databases/hr/tables/employees/columns/%s/tags" % column,
                 {"tags": {"classification": "public"}})
        a.ok("PUT", "/v1/databases/hr/tables/employees/columns/email/tags", {"tags": {"classification": "pii"}})
        a.ok("POST", "/v1/permissions/grant", {
            "principal": "user:dana",
            "resource": {"kind": "TAG_POLICY", "tag_resource_type": "TABLE",
                         "tag_expression": [{"key": "classification", "values": ["public"]}]},
            "permissions": ["SELECT"], "column_masks": {"hire_date": "year_only"}})
        # erin (also in emea): id, email, country on every row, email redacted.
        a.ok("POST", "/v1/permissions/grant", {
            "principal": "user:erin",
            "resource": {"kind": "TABLE_WITH_COLUMNS", "database": "hr", "table": "employees",
                         "columns": ["id", "email", "country"]},
            "permissions": ["SELECT"], "column_masks": {"email": "redact"}})

    # --- expectations -------------------------------------------------------------------------------------

    def sha256_by_id(self):
        """DuckDB's sha256 of each employee's real email, read from the data file without governance."""
        _, out = node("sql", "--sql", "SELECT CAST(id AS VARCHAR) AS id, sha256(email) AS h FROM read_parquet('%s')"
                      % self.data_file.replace("'", "''"))
        return {r["id"]: r["h"] for r in out["rows"]}

    @staticmethod
    def row(values):
        return dict(zip([n for n, _, _ in COLUMNS], values))

    def check_alice(self):
        code, out = self.query("alice", "--query", ORDERED)
        assert code == 0, out
        assert out["columns"] == ["id", "name", "email", "country", "hire_date"], out["columns"]
        hashes = self.sha256_by_id()
        expected = []
        for values in ROWS:
            r = self.row(values)
            email = hashes[r["id"]]
            assert email == (hashlib.sha256(r["email"].encode()).hexdigest() if r["email"] else None), (r, email)
            expected.append({"id": r["id"], "name": r["name"], "email": email, "country": r["country"],
                             "hire_date": r["hire_date"]})
        assert out["rows"] == expected, json.dumps(out["rows"], indent=1)
        assert out["row_filter_sql"] is None, out["row_filter_sql"]
        email = next(c for c in out["access_columns"] if c["name"] == "email")
        assert email["mask"] == "hash_sha256" and email["cell_filter"] is None, email

    def check_bob(self):
        code, out = self.query("bob", "--query", ORDERED)
        assert code == 0, out
        assert out["columns"] == ["id", "email", "salary", "country", "hire_date"], out["columns"]
        expected = [{k: v for k, v in self.row(values).items() if k != "name"}
                    for values in ROWS if values[4] == "DE"]
        assert [r["id"] for r in expected] == ["2", "4", "5"]
        assert out["rows"] == expected, json.dumps(out["rows"], indent=1)
        assert out["row_filter_sql"].strip("()") == "\"country\" = 'DE'", out["row_filter_sql"]
        assert all(c["mask"] is None and c["cell_filter"] is None for c in out["access_columns"]), out
        assert '"name"' not in out["governed_sql"], out["governed_sql"]

    def check_dana(self):
        code, out = self.query("dana", "--query", ORDERED)
        assert code == 0, out
        assert out["columns"] == ["id", "country", "hire_date"], out["columns"]
        expected = [{"id": v[0], "country": v[4], "hire_date": v[5][:4] + "-01-01"} for v in ROWS]
        assert out["rows"] == expected, json.dumps(out["rows"], indent=1)
        assert out["row_filter_sql"] is None

    def check_erin(self):
        code, out = self.query("erin", "--query", ORDERED)
        assert code == 0, out
        assert out["columns"] == ["id", "email", "salary", "country", "hire_date"], out["columns"]
        expected = []
        for values in ROWS:
            r = self.row(values)
            de = r["country"] == "DE"  # NULL country: not DE (CASE treats an unknown condition as false)
            expected.append({"id": r["id"],
                             "email": r["email"] if de or r["email"] is None else "****",
                             "salary": r["salary"] if de else None,
                             "country": r["country"],
                             "hire_date": r["hire_date"] if de else None})
        assert out["rows"] == expected, json.dumps(out["rows"], indent=1)
        assert out["row_filter_sql"] is None, out["row_filter_sql"]
        by_name = {c["name"]: c for c in out["access_columns"]}
        assert by_name["salary"]["cell_filter"] == "country = 'DE'", by_name["salary"]
        assert re.fullmatch(r"CASE WHEN \(?\"country\" = 'DE'\)? THEN \"salary\" ELSE NULL END",
                            by_name["salary"]["select_sql"]), by_name["salary"]
        assert by_name["email"]["mask"] is None, by_name["email"]  # the most revealing rule first: unmasked
        assert re.match(r"CASE WHEN \(?\"country\" = 'DE'\)? THEN \"email\" ", by_name["email"]["select_sql"]), \
            by_name["email"]

    def check_carol_404(self):
        code, out = self.query("carol")
        assert code == 3 and out["status"] == 404, out
        code_missing, missing = self.query("carol", table="no_such_table")
        assert code_missing == 3 and missing["status"] == 404, missing
        strip = lambda e: {k: v.replace("no_such_table", "employees") if isinstance(v, str) else v
                           for k, v in e.items() if k != "request_id"}
        assert strip(out["error"]["error"]) == strip(missing["error"]["error"]), (out, missing)

    def check_bad_dialect(self):
        code, out = self.query("alice", "--dialect", "oracle")
        assert code == 3 and out["status"] == 400, out
        assert out["error"]["error"]["field"] == "dialect", out

    def check_other_dialects(self):
        duck = self.admin.ok("GET", "/v1/databases/hr/tables/employees/access?dialect=duckdb")
        for dialect in ("trino", "spark"):
            status, other = Client(self.server.endpoint, *self.keys["alice"]).call(
                "GET", "/v1/databases/hr/tables/employees/access?dialect=" + dialect)
            assert status == 200 and other["dialect"] == dialect, (status, other)
            names = [c["name"] for c in other["columns"]]
            assert names == ["id", "name", "email", "country", "hire_date"], names
        assert [c["name"] for c in duck["columns"]] == [n for n, _, _ in COLUMNS]  # the administrator: all

    def check_query_authorization(self):
        before = datetime.datetime.now(datetime.timezone.utc)
        code, out = self.query("alice", "--verify-authorization")
        assert code == 0, out
        qa = out["query_authorization"]
        m = re.fullmatch(r"qa1\.([A-Za-z0-9_-]+)\.([0-9a-f]{64})", qa["id"])
        assert m, qa
        payload = json.loads(base64.urlsafe_b64decode(m.group(1) + "=" * (-len(m.group(1)) % 4)))
        assert payload["p"] == "user:alice" and payload["d"] == "hr" and payload["t"] == "employees", payload
        expires = datetime.datetime.fromisoformat(qa["expires_at"].replace("Z", "+00:00"))
        ttl = (expires - before).total_seconds()
        assert 14 * 60 <= ttl <= 15 * 60 + 5, ttl
        verified = out["verified_authorization"]
        assert verified["valid"] is True and verified["principal"].endswith(":user/alice"), verified
        assert verified["database"] == "hr" and verified["table"] == "employees", verified
        assert verified["expires_at"] == qa["expires_at"], verified
        path = "/v1/query-authorizations/" + qa["id"]
        assert self.admin.ok("GET", path)["principal"] == verified["principal"]
        status, _ = Client(self.server.endpoint, *self.keys["bob"]).call("GET", path)
        assert status == 404, status
        tampered = qa["id"][:-1] + ("0" if qa["id"][-1] != "0" else "1")
        status, _ = self.admin.call("GET", "/v1/query-authorizations/" + tampered)
        assert status == 404, status

    def check_revocation_applies_at_once(self):
        code, out = self.query("erin")
        assert code == 0 and len(out["rows"]) == len(ROWS), out
        self.admin.ok("DELETE", "/v1/groups/emea/members/erin")
        code, out = self.query("erin", "--query", ORDERED)
        assert code == 0, out
        assert out["columns"] == ["id", "email", "country"], out["columns"]
        assert [r["email"] for r in out["rows"]] == [None if v[2] is None else "****" for v in ROWS], out["rows"]
        self.admin.ok("POST", "/v1/permissions/revoke", {
            "principal": "user:erin",
            "resource": {"kind": "TABLE_WITH_COLUMNS", "database": "hr", "table": "employees",
                         "columns": ["id", "email", "country"]},
            "permissions": ["SELECT"], "column_masks": {"email": "redact"}})
        code, out = self.query("erin")
        assert code == 3 and out["status"] == 404, out


def run_store(binary, store, results):
    admin_url = os.environ.get("CAIRN_TEST_DATABASE_URL", "")
    database = None
    work = tempfile.mkdtemp(prefix="cairn-engine-example-")
    server = None
    try:
        if store == "postgres":
            database = cairn_testing.PostgresDatabase(admin_url, "cairn_engines")
        server = cairn_testing.Cairnd(binary, ADMIN_KEY_ID, ADMIN_SECRET, database.url if database else None,
                                      prefix="cairnd-engine-test-")
        example = Example(server, work)
        checks = [
            ("setup: data file, table, users, group, tags, filter, grants", example.setup),
            ("alice: all rows, no salary, email = DuckDB sha256(email)", example.check_alice),
            ("bob (emea): only DE rows, no name column", example.check_bob),
            ("dana (tag policy): public columns on all rows, hire_date year only", example.check_dana),
            ("erin (emea + columns): unmasked wins on DE rows, cell filters NULL elsewhere", example.check_erin),
            ("carol (no grant): 404 like a missing table", example.check_carol_404),
            ("unknown dialect: 400 naming dialect", example.check_bad_dialect),
            ("trino and spark dialects resolve the same columns", example.check_other_dialects),
            ("query authorization: format, 15-minute expiry, verification", example.check_query_authorization),
            ("membership change and revocation apply to the next resolve", example.check_revocation_applies_at_once),
        ]
        for name, fn in checks:
            label = "[%s] %s" % (store, name)
            try:
                fn()
                results.append((label, None))
                print("ok   " + label, flush=True)
            except Exception:  # noqa: BLE001 - every failure is reported, then the next check runs
                results.append((label, traceback.format_exc()))
                print("FAIL " + label + "\n" + traceback.format_exc(), flush=True)
                if name.startswith("setup"):
                    break
    except Exception:  # noqa: BLE001
        results.append(("[%s] start" % store, traceback.format_exc()))
        print("FAIL [%s] start\n%s" % (store, traceback.format_exc()), flush=True)
    finally:
        if server is not None:
            if any(err for label, err in results if label.startswith("[%s]" % store)):
                print("--- cairnd log tail (%s) ---\n%s" % (store, server.tail()))
            server.stop()
        if database is not None:
            database.drop()
        if not os.environ.get("CAIRN_TEST_KEEP_DIRS"):
            shutil.rmtree(work, ignore_errors=True)


def main():
    global VERBOSE
    args = [a for a in sys.argv[1:] if a != "-v"]
    VERBOSE = len(args) != len(sys.argv) - 1
    if len(args) != 1:
        print(__doc__)
        return 2
    binary = args[0]
    # A ctest timeout sends SIGTERM: unwind so that cairnd is stopped and the PostgreSQL database dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("node") is None:
        print("SKIP: node is not on PATH (scripts/install-deps.sh installs it)")
        return SKIP
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@duckdb", "node-api")):
        print("SKIP: tests/engines/node_modules is missing (run `npm ci` in tests/engines)")
        return SKIP
    stores = ["sqlite"]
    if os.environ.get("CAIRN_TEST_DATABASE_URL"):
        stores.append("postgres")
    else:
        print("note: CAIRN_TEST_DATABASE_URL is not set; PostgreSQL not tested")
    results = []
    for store in stores:
        run_store(binary, store, results)
    failed = sum(1 for _, err in results if err)
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

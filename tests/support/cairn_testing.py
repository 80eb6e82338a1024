"""Shared pieces of the Python integration tests (tests/api/*_integration_test.py, tests/engines/*_test.py).

A cairnd child process in a temporary directory, a PostgreSQL database created for one run, and requests
signed with botocore's SigV4Auth and sent with urllib. The scripts import it with

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
    import cairn_testing
"""

import datetime
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import boto3
import botocore.auth
import botocore.config
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError


class Cairnd:
    """A cairnd child process in a temporary directory, on the embedded SQLite store or on `database_url`.

    The administrator's key is (access_key_id, secret); no CAIRN_* variable of the caller's environment reaches
    cairnd. Raises RuntimeError with the log's tail when cairnd exits during start-up or does not write its port
    file within `start_timeout` seconds (it is then stopped). stop() sends SIGTERM, waits `stop_timeout` seconds,
    then kills, and removes the directory unless CAIRN_TEST_KEEP_DIRS is set.
    """

    def __init__(self, binary, access_key_id, secret, database_url=None, prefix="cairnd-test-", start_timeout=60,
                 stop_timeout=10):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "cairnd.log")
        self.stop_timeout = stop_timeout
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env["CAIRN_ADMIN_ACCESS_KEY_ID"] = access_key_id
        env["CAIRN_ADMIN_SECRET_ACCESS_KEY"] = secret
        args = [binary, "--data-dir", os.path.join(self.dir, "data"), "--listen", "127.0.0.1:0",
                "--port-file", self.port_file]
        if database_url:
            args += ["--database-url", database_url]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        deadline = time.monotonic() + start_timeout
        while True:
            text = ""
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read().strip()
            if text and ":" in text:
                self.host_port = text
                self.endpoint = "http://" + text
                return
            if self.proc.poll() is not None:
                self._fail("cairnd exited with %s during start-up:\n" % self.proc.returncode)
            if time.monotonic() > deadline:
                self._fail("cairnd did not write its port file within %s s:\n" % start_timeout)
            time.sleep(0.02)

    def _fail(self, message):
        tail = self.tail()
        self.stop()
        raise RuntimeError(message + tail)

    def tail(self, lines=40):
        """The last `lines` lines of cairnd's combined stdout and stderr."""
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if not os.environ.get("CAIRN_TEST_KEEP_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


class PostgresDatabase:
    """An empty database `prefix`_<random> created next to the one `admin_url` names (psql does the DDL).

    `url` points at it; drop() removes it (a failure to drop is ignored: a leftover test database is harmless).
    """

    def __init__(self, admin_url, prefix):
        self.admin_url = admin_url
        self.name = "%s_%s" % (prefix, uuid.uuid4().hex[:12])
        self.psql('CREATE DATABASE "%s"' % self.name, check=True)
        parts = urllib.parse.urlsplit(admin_url)
        self.url = urllib.parse.urlunsplit(parts._replace(path="/" + self.name))

    def psql(self, sql, check):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.admin_url, "-c", sql], check=check,
                       capture_output=True, timeout=60)

    def drop(self):
        try:
            self.psql('DROP DATABASE IF EXISTS "%s"' % self.name, check=False)
        except (OSError, subprocess.SubprocessError):
            pass


def sign(request, key_id, secret, service="cairn", region="us-east-1", when=None):
    """Signs an AWSRequest with botocore's SigV4Auth, at `when` (a naive UTC datetime) when given."""
    auth = SigV4Auth(Credentials(key_id, secret), service, region)
    if when is None:
        auth.add_auth(request)
    elif hasattr(botocore.auth, "get_current_datetime"):
        # Recent botocore takes the signing time from botocore.auth.get_current_datetime().
        real = botocore.auth.get_current_datetime
        botocore.auth.get_current_datetime = lambda *args, **kwargs: when
        try:
            auth.add_auth(request)
        finally:
            botocore.auth.get_current_datetime = real
    else:
        # Older botocore calls datetime.datetime.utcnow().
        real = datetime.datetime

        class Frozen(real):
            @classmethod
            def utcnow(cls):
                return when

        datetime.datetime = Frozen
        try:
            auth.add_auth(request)
        finally:
            datetime.datetime = real
    return request


def signed(endpoint, method, path, key_id, secret, body=b"", service="cairn", region="us-east-1", when=None,
           headers=None):
    """An AWSRequest for `method endpoint+path` (Content-Type application/json when `body` is not empty, then
    `headers`), signed by sign()."""
    headers = dict(headers or {})
    if body:
        headers["Content-Type"] = "application/json"
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers)
    return sign(request, key_id, secret, service, region, when)


def send(request, body=None):
    """Sends an AWSRequest with urllib (with `body` instead of its own when given); returns (status, headers,
    parsed JSON, or the raw text when it is not JSON, or None when empty)."""
    prepared = request.prepare()
    data = prepared.body if body is None else body
    if isinstance(data, str):
        data = data.encode()
    req = urllib.request.Request(prepared.url, data=data or None, method=prepared.method,
                                 headers=dict(prepared.headers.items()))
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, headers, raw = err.code, err.headers, err.read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode(errors="replace")
    return status, headers, payload


class NativeClient:
    """Calls of the native /v1/ API with JSON bodies, signed as (key_id, secret) for the service cairn.

    `trace`, when given, is called with one line per call ("  METHOD path -> status").
    """

    def __init__(self, endpoint, key_id, secret, region="us-east-1", trace=None):
        self.endpoint, self.key_id, self.secret, self.region, self.trace = endpoint, key_id, secret, region, trace

    def call(self, method, path, body=None):
        """Returns (status, parsed JSON body or None)."""
        data = json.dumps(body).encode() if body is not None else b""
        request = signed(self.endpoint, method, path, self.key_id, self.secret, body=data, region=self.region)
        status, _, payload = send(request)
        if self.trace is not None:
            self.trace("  %s %s -> %d" % (method, path, status))
        return status, payload

    def ok(self, method, path, body=None, expect=(200, 201, 204)):
        """The call's JSON body; AssertionError when its status is not one of `expect`."""
        status, payload = self.call(method, path, body)
        if status not in expect:
            raise AssertionError("%s %s: %d %s" % (method, path, status, json.dumps(payload)))
        return payload


def run_suite_on_store(binary, store, make_suite, admin_key, admin_secret, name):
    """Starts cairnd on `store` ("sqlite", or "postgres" in a database created from CAIRN_TEST_DATABASE_URL),
    builds the suite with make_suite(server), calls its setup(), then each of its checks() ((label, function)
    pairs), printing PASS or FAIL per check and calling the suite's reset() (when it has one) after a failure;
    cleanup() (when it has one), stopping cairnd and dropping the database happen in every case. Returns
    (passed, failed)."""
    import traceback
    database = None
    url = None
    if store == "postgres":
        database = PostgresDatabase(os.environ["CAIRN_TEST_DATABASE_URL"], "cairn_" + name)
        url = database.url
    passed, failed = 0, 0
    server = None
    suite = None
    try:
        server = Cairnd(binary, admin_key, admin_secret, url, prefix="cairnd-%s-test-" % name, stop_timeout=15)
        suite = make_suite(server)
        suite.setup()
        for label, fn in suite.checks():
            try:
                fn()
                passed += 1
                print("PASS [%s] %s" % (store, label))
            except Exception:  # report every failure, keep going
                failed += 1
                print("FAIL [%s] %s" % (store, label))
                traceback.print_exc()
                if hasattr(suite, "reset"):
                    suite.reset()
    except Exception:
        failed += 1
        print("FAIL [%s] setup" % store)
        traceback.print_exc()
    finally:
        if suite is not None and hasattr(suite, "cleanup"):
            suite.cleanup()
        if server is not None:
            if failed:
                print("--- cairnd log tail (%s) ---" % store)
                print(server.tail())
            server.stop()
        if database is not None:
            database.drop()
    return passed, failed


def main_over_stores(argv, run_store):
    """The main() of a suite run over both stores: argv is [script, PATH/TO/cairnd]; run_store(binary, store)
    returns (passed, failed). PostgreSQL is skipped (and said so) without CAIRN_TEST_DATABASE_URL. Returns the
    exit code."""
    import sys
    if len(argv) != 2:
        print("usage: %s PATH/TO/cairnd" % argv[0], file=sys.stderr)
        return 2
    stores = ["sqlite"]
    if os.environ.get("CAIRN_TEST_DATABASE_URL"):
        stores.append("postgres")
    else:
        print("SKIP [postgres] CAIRN_TEST_DATABASE_URL is not set")
    passed, failed = 0, 0
    for store in stores:
        p, f = run_store(argv[1], store)
        passed, failed = passed + p, failed + f
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def aws_client(service, endpoint, key, secret, region="us-east-1"):
    """A boto3 client of `service` ("glue", "lakeformation") for cairnd at `endpoint`, without retries."""
    config = botocore.config.Config(retries={"max_attempts": 1})
    return boto3.client(service, endpoint_url=endpoint, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=config)


def expect_client_error(fn, code, contains=(), status=None):
    """Runs fn, which must fail with the AWS error `code` whose message contains every string given (and, when
    given, the HTTP status); returns the message."""
    try:
        fn()
    except ClientError as err:
        error = err.response["Error"]
        assert error["Code"] == code, (code, err.response)
        for text in ([contains] if isinstance(contains, str) else contains):
            assert text in error["Message"], (text, error["Message"])
        if status is not None:
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status, err.response
        return error["Message"]
    raise AssertionError("expected %s, the call succeeded" % code)

#!/usr/bin/env python3
"""Checks that requests signed by botocore (the AWS SDK for Python) are accepted by cairnd and tampered ones refused.

Usage: aws_clients_integration_test.py PATH/TO/cairnd

Starts cairnd on a free port in a temporary data directory with known administrator credentials, signs requests
with botocore.auth.SigV4Auth for the service names cairn, glue and lakeformation, and sends them with urllib.
Prints "N passed, M failed" and exits non-zero when anything failed. cairnd is stopped in every case.
"""

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY_ID = "AKIACAIRNPYTESTADMIN"
SECRET = "cairn-python-test-secret-0123456789abcdef"
REGION = "us-east-1"


class Cairnd:
    """A cairnd child process in a temporary directory."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="cairnd-aws-test-")
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "cairnd.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
        env["CAIRN_ADMIN_ACCESS_KEY_ID"] = ACCESS_KEY_ID
        env["CAIRN_ADMIN_SECRET_ACCESS_KEY"] = SECRET
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, "--data-dir", os.path.join(self.dir, "data"), "--listen", "127.0.0.1:0",
             "--port-file", self.port_file],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while True:
            text = ""
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    text = f.read().strip()
            if text and ":" in text:
                self.host_port = text
                break
            if self.proc.poll() is not None:
                raise RuntimeError("cairnd exited with %s during start-up:\n%s" % (self.proc.returncode, self.tail()))
            if time.monotonic() > deadline:
                raise RuntimeError("cairnd did not write its port file within 20 s:\n" + self.tail())
            time.sleep(0.02)
        self.endpoint = "http://" + self.host_port

    def tail(self, lines=40):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if not os.environ.get("CAIRN_TEST_KEEP_DIRS"):
            shutil.rmtree(self.dir, ignore_errors=True)


def signed(endpoint, method, path, body=b"", service="cairn", secret=SECRET, when=None, headers=None):
    """An AWSRequest signed by botocore's SigV4Auth (optionally at another time, a naive UTC datetime)."""
    headers = dict(headers or {})
    if body:
        headers["Content-Type"] = "application/json"
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers)
    auth = SigV4Auth(Credentials(ACCESS_KEY_ID, secret), service, REGION)
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


def send(request, body=None):
    """Sends an AWSRequest with urllib; returns (status, headers, parsed JSON or raw text)."""
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


def expect_401(result):
    status, headers, payload = result
    assert status == 401, "expected 401, got %s %s" % (status, payload)
    assert isinstance(payload, dict) and payload["error"]["code"] == "Unauthenticated", payload
    assert payload["error"]["request_id"] == headers.get("x-request-id"), (payload, dict(headers))


def main():
    if len(sys.argv) != 2:
        print("usage: %s PATH/TO/cairnd" % sys.argv[0], file=sys.stderr)
        return 2
    server = Cairnd(sys.argv[1])
    ep = server.endpoint
    passed, failed = 0, 0

    def check(name, fn):
        nonlocal passed, failed
        try:
            fn()
            passed += 1
            print("PASS", name)
        except Exception:  # report every failure, keep going
            failed += 1
            print("FAIL", name)
            traceback.print_exc()

    def accepted(service):
        def run():
            status, _, payload = send(signed(ep, "GET", "/v1/databases", service=service))
            assert status == 200, (status, payload)
            assert isinstance(payload, dict) and isinstance(payload.get("databases"), list), payload
        return run

    def create_and_read():
        body = json.dumps({"name": "Botocore_DB", "description": "signed by botocore"}).encode()
        status, _, payload = send(signed(ep, "POST", "/v1/databases", body=body, service="glue"))
        assert status == 201, (status, payload)
        assert payload["name"] == "botocore_db", payload
        status, _, payload = send(signed(ep, "GET", "/v1/databases/BOTOCORE_DB?max_results=5"))
        assert status == 200 and payload["description"] == "signed by botocore", (status, payload)
        status, _, payload = send(signed(ep, "GET", "/v1/databases?max_results=1&next_token=", service="lakeformation"))
        assert status == 200, (status, payload)

    def body_changed():
        request = signed(ep, "POST", "/v1/databases", body=b'{"name":"tampered_a"}')
        expect_401(send(request, body=b'{"name":"tampered_b"}'))

    def header_changed():
        request = signed(ep, "GET", "/v1/databases", headers={"X-Cairn-Test": "original"})
        assert "x-cairn-test" in request.headers["Authorization"], request.headers["Authorization"]
        request.headers.replace_header("X-Cairn-Test", "changed")
        expect_401(send(request))

    def path_changed():
        request = signed(ep, "GET", "/v1/databases")
        request.url = ep + "/v1/users"
        expect_401(send(request))

    def wrong_secret():
        expect_401(send(signed(ep, "GET", "/v1/databases", secret="wrong-secret-0123456789abcdef0123")))

    def stale_date():
        old = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
        expect_401(send(signed(ep, "GET", "/v1/databases", when=old)))

    def recent_date_ok():
        recent = datetime.datetime.utcnow() - datetime.timedelta(minutes=5)
        status, _, payload = send(signed(ep, "GET", "/v1/databases", when=recent))
        assert status == 200, (status, payload)

    def unsigned():
        expect_401(send(AWSRequest(method="GET", url=ep + "/v1/databases")))

    def other_service():
        expect_401(send(signed(ep, "GET", "/v1/databases", service="s3")))

    try:
        for service in ("cairn", "glue", "lakeformation"):
            check("service %s accepted" % service, accepted(service))
        check("create and read with botocore signatures", create_and_read)
        check("body changed after signing is refused", body_changed)
        check("signed header changed is refused", header_changed)
        check("path changed after signing is refused", path_changed)
        check("wrong secret is refused", wrong_secret)
        check("date 20 minutes old is refused", stale_date)
        check("date 5 minutes old is accepted", recent_date_ok)
        check("unsigned request is refused", unsigned)
        check("service s3 is refused", other_service)
    finally:
        if failed:
            print("--- cairnd log tail ---")
            print(server.tail())
        server.stop()
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

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
import sys
import traceback

from botocore.awsrequest import AWSRequest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cairn_testing  # noqa: E402 - found through the path set just above

ACCESS_KEY_ID = "AKIACAIRNPYTESTADMIN"
SECRET = "cairn-python-test-secret-0123456789abcdef"
REGION = "us-east-1"


def signed(endpoint, method, path, body=b"", service="cairn", secret=SECRET, when=None, headers=None):
    """An AWSRequest signed by botocore's SigV4Auth as the administrator (optionally with another secret or at
    another time, a naive UTC datetime)."""
    return cairn_testing.signed(endpoint, method, path, ACCESS_KEY_ID, secret, body=body, service=service,
                                region=REGION, when=when, headers=headers)


send = cairn_testing.send


def expect_401(result):
    status, headers, payload = result
    assert status == 401, "expected 401, got %s %s" % (status, payload)
    assert isinstance(payload, dict) and payload["error"]["code"] == "Unauthenticated", payload
    assert payload["error"]["request_id"] == headers.get("x-request-id"), (payload, dict(headers))


def main():
    if len(sys.argv) != 2:
        print("usage: %s PATH/TO/cairnd" % sys.argv[0], file=sys.stderr)
        return 2
    server = cairn_testing.Cairnd(sys.argv[1], ACCESS_KEY_ID, SECRET, prefix="cairnd-aws-test-", start_timeout=20)
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

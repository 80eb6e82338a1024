#!/usr/bin/env python3
"""Signs requests with botocore's SigV4 signer and prints them as JSON, for tests/authz/botocore_sign_test.cpp.

Usage: botocore_sign.py --time UNIX_SECONDS

Each printed request is what goes on the wire: method, raw path and query of the URL botocore sends, the headers
(including Host, which the HTTP client adds from the URL and botocore signs) and the body. `expect` is the
VerifyStatus name the server must return for it.
"""

import argparse
import datetime
import json
import sys
from urllib.parse import urlsplit

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ENDPOINT = "http://127.0.0.1:7480"


def sign(name, service, region, method, url, *, headers=None, body=b"", params=None, token=None, context=None,
         expect="Ok"):
    request = AWSRequest(method=method, url=url, headers=headers or {}, data=body, params=params or {})
    if context:
        request.context.update(context)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), service, region).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    wire_headers = [["Host", botocore.auth._host_from_url(prepared.url)]]
    wire_headers += [[k, v if isinstance(v, str) else v.decode("utf-8")] for k, v in prepared.headers.items()]
    data = prepared.body or b""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return {
        "name": name,
        "service": service,
        "region": region,
        "method": prepared.method,
        "path": parts.path,
        "query": parts.query,
        "headers": wire_headers,
        "body": data.decode("utf-8"),
        "expect": expect,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time", type=int, required=True, help="signing time, unix seconds")
    args = parser.parse_args()
    fixed = datetime.datetime.fromtimestamp(args.time, tz=datetime.timezone.utc).replace(tzinfo=None)
    botocore.auth.get_current_datetime = lambda: fixed

    glue_body = json.dumps({"DatabaseName": "sales", "Name": "orders"}).encode()
    requests = [
        sign("cairn-get-params-spaces-unicode-reserved", "cairn", "us-east-1", "GET",
             ENDPOINT + "/v1/databases/sales/tables",
             params={"prefix": "a b+c/d?e&f=g", "name": "café ☃", "limit": "10", "empty": ""}),
        sign("cairn-get-encoded-path-and-query", "cairn", "eu-west-1", "GET",
             ENDPOINT + "/v1/databases/caf%C3%A9%20db/tables/x~y?" +
             percent_encode_sequence([("filter", "year = '2024' AND m IN (1,2)"), ("token", "a/b=c"),
                                      ("filter", "zz")])),
        sign("glue-get-table", "glue", "us-east-1", "POST", ENDPOINT + "/",
             headers={"X-Amz-Target": "AWSGlue.GetTable", "Content-Type": "application/x-amz-json-1.1"},
             body=glue_body),
        sign("lakeformation-grant-permissions", "lakeformation", "us-west-2", "POST",
             ENDPOINT + "/GrantPermissions",
             headers={"Content-Type": "application/json"},
             body=json.dumps({"Principal": {"DataLakePrincipalIdentifier": "arn:aws:iam::000000000000:user/alice"},
                              "Resource": {"Table": {"DatabaseName": "hr", "Name": "employees"}},
                              "Permissions": ["SELECT"]}).encode()),
        sign("cairn-post-with-session-token", "cairn", "ap-southeast-2", "POST", ENDPOINT + "/v1/databases",
             headers={"Content-Type": "application/json", "X-Custom": "  spaced   value  "},
             body=json.dumps({"name": "sales", "description": "Ünïcödé"}).encode(), token="session-token-example"),
        sign("s3-service-refused", "s3", "us-east-1", "GET", ENDPOINT + "/bucket/key", expect="UnknownService"),
        sign("unsigned-payload-refused", "glue", "us-east-1", "POST", "https://127.0.0.1:7480/",
             headers={"X-Amz-Target": "AWSGlue.GetDatabases", "Content-Type": "application/x-amz-json-1.1"},
             body=b"{}", context={"payload_signing_enabled": False}, expect="BadPayloadHash"),
    ]
    json.dump({"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY, "time": args.time,
               "requests": requests}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

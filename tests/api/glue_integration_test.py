#!/usr/bin/env python3
"""The Glue JSON API of a real cairnd, driven by boto3's glue client and the AWS CLI.

Usage: glue_integration_test.py PATH/TO/cairnd

Runs every check against cairnd on the embedded SQLite store and, when CAIRN_TEST_DATABASE_URL is set, again on
PostgreSQL (in a database created for the run and dropped afterwards). Negative cases first: authentication
errors, unsupported operations, input errors that name the offending member, an unprivileged caller (only its
authorized columns, EntityNotFoundException for a hidden table, AccessDeniedException for a denied mutation);
then databases, tables with versions and optimistic concurrency, partitions filtered by expression, crawlers over
a local folder of CSV files, custom entity types (PII classification), and the AWS CLI. Prints "N passed,
M failed" and exits non-zero when anything failed; cairnd is stopped in every case.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import botocore.awsrequest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cairn_testing  # noqa: E402 - found through the path set just above

ADMIN_KEY = "AKIACAIRNGLUETESTADM"
ADMIN_SECRET = "cairn-glue-test-secret-0123456789abcdef"
REGION = "us-east-1"
CATALOG = "000000000000"

EMPLOYEE_COLUMNS = [("id", "bigint"), ("name", "string"), ("salary", "decimal(10,2)"), ("phone_number", "string")]


def client(service, endpoint, key, secret):
    return cairn_testing.aws_client(service, endpoint, key, secret, REGION)


expect_error = cairn_testing.expect_client_error


def table_input(name, columns, partition_keys=(), location=None):
    return {"Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": {"classification": "parquet"},
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
            "StorageDescriptor": {
                "Columns": [{"Name": n, "Type": t} for n, t in columns],
                "Location": location or "s3://lake/%s/" % name,
                "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                              "Parameters": {}}}}


def column_names(table):
    return [c["Name"] for c in table["StorageDescriptor"]["Columns"]]


class Suite:
    """Every check, against one cairnd. Checks share the fixture created by setup()."""

    def __init__(self, server):
        self.server = server
        self.ep = server.endpoint
        self.native = cairn_testing.NativeClient(self.ep, ADMIN_KEY, ADMIN_SECRET, REGION)
        self.glue = client("glue", self.ep, ADMIN_KEY, ADMIN_SECRET)
        self.lf = client("lakeformation", self.ep, ADMIN_KEY, ADMIN_SECRET)
        self.files = tempfile.mkdtemp(prefix="cairn-glue-crawl-")

    def cleanup(self):
        shutil.rmtree(self.files, ignore_errors=True)

    # --- fixture ---

    def setup(self):
        self.native.ok("POST", "/v1/users", {"name": "alice"})
        created = self.native.ok("POST", "/v1/users/alice/access-keys")
        self.alice_key = (created["access_key_id"], created["secret_access_key"])
        self.alice = client("glue", self.ep, *self.alice_key)
        self.glue.create_database(DatabaseInput={"Name": "hr", "Description": "people",
                                                 "LocationUri": "s3://lake/hr"})
        self.glue.create_table(DatabaseName="hr", TableInput=table_input("employees", EMPLOYEE_COLUMNS))
        self.glue.create_table(DatabaseName="hr", TableInput=table_input("secrets", [("code", "string")]))
        # Alice may read two columns of hr.employees and nothing else.
        self.lf.grant_permissions(
            Principal={"DataLakePrincipalIdentifier": "arn:aws:iam::%s:user/alice" % CATALOG},
            Resource={"TableWithColumns": {"DatabaseName": "hr", "Name": "employees", "ColumnNames": ["id", "name"]}},
            Permissions=["SELECT"])

    def raw(self, target, body, key=ADMIN_KEY, secret=ADMIN_SECRET):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = cairn_testing.signed(self.ep, "POST", "/", key, secret, body=data, service="glue", region=REGION,
                                       headers={"X-Amz-Target": target,
                                                "Content-Type": "application/x-amz-json-1.1"})
        return cairn_testing.send(request)

    # --- negative checks ---

    def authentication_and_operations(self):
        wrong = client("glue", self.ep, ADMIN_KEY, "not-the-secret-0123456789abcdef01234567")
        expect_error(lambda: wrong.get_databases(), "InvalidSignatureException", status=403)
        unknown = client("glue", self.ep, "AKIAUNKNOWNKEY000000", ADMIN_SECRET)
        expect_error(lambda: unknown.get_databases(), "UnrecognizedClientException", status=403)
        unsigned = botocore.awsrequest.AWSRequest(method="POST", url=self.ep + "/", data=b"{}", headers={
            "X-Amz-Target": "AWSGlue.GetDatabases", "Content-Type": "application/x-amz-json-1.1"})
        status, headers, payload = cairn_testing.send(unsigned)
        assert status == 403 and payload["__type"] == "MissingAuthenticationTokenException", (status, payload)
        expect_error(lambda: self.glue.get_jobs(), "InvalidInputException", ["does not implement", "GetJobs"],
                     status=400)
        expect_error(lambda: self.glue.create_classifier(CsvClassifier={"Name": "c"}), "InvalidInputException",
                     "does not implement")
        status, headers, payload = self.raw("AWSGlue.NoSuchOperation", {})
        assert status == 400 and headers.get("x-amzn-ErrorType") == "InvalidInputException", (status, payload)
        assert payload["__type"] == "InvalidInputException", payload
        # Not a Glue target: not answered by the Glue API.
        status, headers, payload = self.raw("AWSLakeFormation.GetDataLakeSettings", {})
        assert status == 404 and headers.get("x-amzn-ErrorType") is None, (status, headers.items(), payload)

    def bad_input(self):
        columns = [("a", "int"), ("b", "string"), ("c", "nosuchtype")]
        expect_error(lambda: self.glue.create_table(DatabaseName="hr", TableInput=table_input("bad", columns)),
                     "InvalidInputException", "TableInput.StorageDescriptor.Columns[2].Type", status=400)
        bad_key = table_input("bad", [("a", "int")], partition_keys=[("p", "notatype")])
        expect_error(lambda: self.glue.create_table(DatabaseName="hr", TableInput=bad_key),
                     "InvalidInputException", "TableInput.PartitionKeys[0].Type")
        sorted_input = table_input("bad", [("a", "int")])
        sorted_input["StorageDescriptor"]["SortColumns"] = [{"Column": "a", "SortOrder": 1}]
        expect_error(lambda: self.glue.create_table(DatabaseName="hr", TableInput=sorted_input),
                     "InvalidInputException", "TableInput.StorageDescriptor.SortColumns")
        expect_error(lambda: self.glue.create_table(DatabaseName="no_such_db", TableInput=table_input("t", [])),
                     "EntityNotFoundException", "no_such_db")
        expect_error(lambda: self.glue.get_database(Name="hr", CatalogId="123456789012"), "EntityNotFoundException",
                     "123456789012")
        expect_error(lambda: self.glue.update_table(DatabaseName="hr", VersionId="x1",
                                                    TableInput=table_input("employees", EMPLOYEE_COLUMNS)),
                     "InvalidInputException", "VersionId")
        expect_error(lambda: self.glue.get_partitions(DatabaseName="hr", TableName="employees",
                                                      Expression="year >"), "InvalidInputException", "Expression")
        # Shapes botocore would refuse client-side, sent raw: missing and unknown members are named.
        status, headers, payload = self.raw("AWSGlue.CreateTable", {"TableInput": table_input("x", [])})
        assert status == 400 and payload == {"__type": "InvalidInputException",
                                             "Message": "DatabaseName: is required"}, payload
        status, headers, payload = self.raw("AWSGlue.GetTable", {"DatabaseName": "hr", "Name": "employees",
                                                                 "Colour": "red"})
        assert status == 400 and payload["Message"].startswith("Colour: is not a member"), payload
        status, headers, payload = self.raw("AWSGlue.GetDatabases", {"MaxResults": 5000})
        assert status == 400 and payload["Message"].startswith("MaxResults:"), payload
        status, headers, payload = self.raw("AWSGlue.GetDatabases", b"{not json")
        assert status == 400 and headers.get("x-amzn-ErrorType") == "InvalidInputException", (status, payload)

    def unprivileged_caller(self):
        table = self.alice.get_table(DatabaseName="hr", Name="employees")["Table"]
        assert column_names(table) == ["id", "name"], table
        expect_error(lambda: self.alice.get_table(DatabaseName="hr", Name="secrets"), "EntityNotFoundException",
                     status=400)
        listed = self.alice.get_tables(DatabaseName="hr")["TableList"]
        assert [(t["Name"], column_names(t)) for t in listed] == [("employees", ["id", "name"])], listed
        # Search never matches a column the caller may not see.
        assert self.alice.search_tables(SearchText="salary")["TableList"] == []
        found = self.glue.search_tables(SearchText="salary")["TableList"]
        assert [t["Name"] for t in found] == ["employees"], found
        found = self.alice.search_tables(SearchText="employ")["TableList"]
        assert [column_names(t) for t in found] == [["id", "name"]], found
        expect_error(lambda: self.alice.delete_table(DatabaseName="hr", Name="employees"), "AccessDeniedException",
                     status=403)
        expect_error(lambda: self.alice.update_table(DatabaseName="hr",
                                                     TableInput=table_input("employees", [("id", "bigint")])),
                     "AccessDeniedException", status=403)
        expect_error(lambda: self.alice.create_database(DatabaseInput={"Name": "mine"}), "AccessDeniedException",
                     status=403)
        expect_error(lambda: self.alice.delete_table(DatabaseName="hr", Name="secrets"), "EntityNotFoundException")
        result = self.alice.batch_delete_table(DatabaseName="hr", TablesToDelete=["secrets", "employees"])
        assert [(e["TableName"], e["ErrorDetail"]["ErrorCode"]) for e in result["Errors"]] == [
            ("secrets", "EntityNotFoundException"), ("employees", "AccessDeniedException")], result
        assert self.glue.get_table(DatabaseName="hr", Name="secrets")["Table"]["Name"] == "secrets"

    # --- positive checks ---

    def databases(self):
        for name in ("db_a", "db_b", "db_c"):
            self.glue.create_database(DatabaseInput={"Name": name, "Parameters": {"owner": "team"}})
        expect_error(lambda: self.glue.create_database(DatabaseInput={"Name": "db_a"}), "AlreadyExistsException")
        db = self.glue.get_database(Name="DB_A")["Database"]
        assert db["Name"] == "db_a" and db["Parameters"] == {"owner": "team"} and db["CatalogId"] == CATALOG, db
        names, token = [], None
        while True:
            page = self.glue.get_databases(MaxResults=1, **({"NextToken": token} if token else {}))
            assert len(page["DatabaseList"]) <= 1, page
            names += [d["Name"] for d in page["DatabaseList"]]
            token = page.get("NextToken")
            if not token:
                break
        assert names == sorted(names) and {"db_a", "db_b", "db_c", "hr"} <= set(names), names
        self.glue.update_database(Name="db_b", DatabaseInput={"Name": "db_b", "Description": "second"})
        assert self.glue.get_database(Name="db_b")["Database"]["Description"] == "second"
        for name in ("db_a", "db_b", "db_c"):
            self.glue.delete_database(Name=name)
        expect_error(lambda: self.glue.get_database(Name="db_a"), "EntityNotFoundException")

    def tables_and_versions(self):
        self.glue.create_table(DatabaseName="hr", TableInput=table_input("teams", [("id", "int")]))
        expect_error(lambda: self.glue.create_table(DatabaseName="hr", TableInput=table_input("teams", [])),
                     "AlreadyExistsException")
        table = self.glue.get_table(DatabaseName="hr", Name="teams")["Table"]
        assert table["VersionId"] == "1" and table["DatabaseName"] == "hr", table
        assert table["StorageDescriptor"]["Location"] == "s3://lake/teams/", table
        self.glue.update_table(DatabaseName="hr", VersionId="1",
                               TableInput=table_input("teams", [("id", "int"), ("lead", "string")]))
        expect_error(lambda: self.glue.update_table(DatabaseName="hr", VersionId="1",
                                                    TableInput=table_input("teams", [("id", "int")])),
                     "ConcurrentModificationException")
        table = self.glue.get_table(DatabaseName="hr", Name="teams")["Table"]
        assert table["VersionId"] == "2" and column_names(table) == ["id", "lead"], table
        versions = self.glue.get_table_versions(DatabaseName="hr", TableName="teams")["TableVersions"]
        assert sorted(v["VersionId"] for v in versions) == ["1", "2"], versions
        first = self.glue.get_table_version(DatabaseName="hr", TableName="teams", VersionId="1")["TableVersion"]
        assert column_names(first["Table"]) == ["id"], first
        matched = self.glue.get_tables(DatabaseName="hr", Expression="tea*")["TableList"]
        assert [t["Name"] for t in matched] == ["teams"], matched
        matched = self.glue.get_tables(DatabaseName="hr", Expression="secr.*|TEAMS")["TableList"]
        assert [t["Name"] for t in matched] == ["secrets", "teams"], matched
        page = self.glue.get_tables(DatabaseName="hr", MaxResults=1)
        assert len(page["TableList"]) == 1 and page.get("NextToken"), page
        result = self.glue.batch_delete_table(DatabaseName="hr", TablesToDelete=["teams", "nope"])
        assert [(e["TableName"], e["ErrorDetail"]["ErrorCode"]) for e in result["Errors"]] == [
            ("nope", "EntityNotFoundException")], result
        expect_error(lambda: self.glue.get_table(DatabaseName="hr", Name="teams"), "EntityNotFoundException")

    def partitions(self):
        self.glue.create_table(DatabaseName="hr", TableInput=table_input(
            "events", [("id", "bigint")], partition_keys=[("year", "int"), ("month", "string")]))

        def part(year, month):
            return {"Values": [str(year), month],
                    "StorageDescriptor": {"Columns": [{"Name": "id", "Type": "bigint"}],
                                          "Location": "s3://lake/events/year=%s/month=%s/" % (year, month)}}

        result = self.glue.batch_create_partition(DatabaseName="hr", TableName="events", PartitionInputList=[
            part(2023, "12"), part(2024, "01"), part(2024, "02"), part(2024, "01")])
        assert [e["ErrorDetail"]["ErrorCode"] for e in result["Errors"]] == ["AlreadyExistsException"], result
        expect_error(lambda: self.glue.create_partition(DatabaseName="hr", TableName="events",
                                                        PartitionInput=part("abc", "01")),
                     "InvalidInputException", "PartitionInput.Values")
        self.glue.create_partition(DatabaseName="hr", TableName="events", PartitionInput=part(2025, "03"))
        got = self.glue.get_partitions(DatabaseName="hr", TableName="events",
                                       Expression="year >= 2024 AND month = '01'")["Partitions"]
        assert [p["Values"] for p in got] == [["2024", "01"]], got
        values, token = [], None
        while True:
            page = self.glue.get_partitions(DatabaseName="hr", TableName="events", MaxResults=2,
                                            **({"NextToken": token} if token else {}))
            values += [p["Values"] for p in page["Partitions"]]
            token = page.get("NextToken")
            if not token:
                break
        assert sorted(values) == [["2023", "12"], ["2024", "01"], ["2024", "02"], ["2025", "03"]], values
        one = self.glue.get_partition(DatabaseName="hr", TableName="events", PartitionValues=["2024", "02"])
        assert one["Partition"]["StorageDescriptor"]["Location"].endswith("month=02/"), one
        got = self.glue.batch_get_partition(DatabaseName="hr", TableName="events", PartitionsToGet=[
            {"Values": ["2024", "01"]}, {"Values": ["1999", "01"]}])
        assert [p["Values"] for p in got["Partitions"]] == [["2024", "01"]], got
        changed = part(2024, "02")
        changed["Parameters"] = {"note": "rewritten"}
        self.glue.update_partition(DatabaseName="hr", TableName="events", PartitionValueList=["2024", "02"],
                                   PartitionInput=changed)
        one = self.glue.get_partition(DatabaseName="hr", TableName="events", PartitionValues=["2024", "02"])
        assert one["Partition"]["Parameters"] == {"note": "rewritten"}, one
        self.glue.delete_partition(DatabaseName="hr", TableName="events", PartitionValues=["2025", "03"])
        expect_error(lambda: self.glue.get_partition(DatabaseName="hr", TableName="events",
                                                     PartitionValues=["2025", "03"]), "EntityNotFoundException")
        result = self.glue.batch_delete_partition(DatabaseName="hr", TableName="events", PartitionsToDelete=[
            {"Values": ["2023", "12"]}, {"Values": ["1999", "01"]}])
        assert [e["PartitionValues"] for e in result["Errors"]] == [["1999", "01"]], result
        # Alice cannot see the table at all: its partitions are not found either.
        expect_error(lambda: self.alice.get_partitions(DatabaseName="hr", TableName="events"),
                     "EntityNotFoundException")
        self.glue.delete_table(DatabaseName="hr", Name="events")

    def crawlers(self):
        folder = os.path.join(self.files, "sales")
        os.makedirs(folder)
        for day in ("01", "02"):
            with open(os.path.join(folder, "sales_%s.csv" % day), "w") as f:
                f.write("order_id,amount,country\n")
                for i in range(20):
                    f.write("%s%d,%d.50,DE\n" % (day, i, i))
        self.glue.create_database(DatabaseInput={"Name": "crawled"})
        expect_error(lambda: self.glue.create_crawler(Name="bad", Role="any", DatabaseName="crawled",
                                                      Targets={"S3Targets": [{"Path": "relative/dir"}]}),
                     "InvalidInputException", "Targets.S3Targets[0].Path")
        expect_error(lambda: self.glue.create_crawler(Name="bad", Role="any", DatabaseName="crawled",
                                                      Targets={"JdbcTargets": [{"ConnectionName": "x"}]}),
                     "InvalidInputException", "Targets.JdbcTargets")
        expect_error(lambda: self.glue.create_crawler(Name="bad", Role="any", DatabaseName="crawled",
                                                      Targets={"S3Targets": [{"Path": self.files}]},
                                                      Classifiers=["mine"]), "InvalidInputException",
                     "Classifiers[0]")
        self.glue.create_crawler(Name="sales", Role="arn:aws:iam::%s:role/crawler" % CATALOG,
                                 DatabaseName="crawled", Targets={"S3Targets": [{"Path": self.files}]},
                                 SchemaChangePolicy={"UpdateBehavior": "UPDATE_IN_DATABASE",
                                                     "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
                                 Configuration=json.dumps({"Version": 1.0, "Grouping": {
                                     "TableGroupingPolicy": "CombineCompatibleSchemas"}}))
        expect_error(lambda: self.glue.create_crawler(Name="sales", Role="r", DatabaseName="crawled",
                                                      Targets={"S3Targets": [{"Path": self.files}]}),
                     "AlreadyExistsException")
        crawler = self.glue.get_crawler(Name="sales")["Crawler"]
        assert crawler["State"] == "READY" and crawler["DatabaseName"] == "crawled", crawler
        assert crawler["Targets"]["S3Targets"] == [{"Path": self.files, "Exclusions": []}], crawler
        assert json.loads(crawler["Configuration"])["Grouping"]["TableGroupingPolicy"] == "CombineCompatibleSchemas"
        expect_error(lambda: self.glue.stop_crawler(Name="sales"), "CrawlerNotRunningException")
        # Alice has no permission on the crawler's database: the crawler does not exist for her.
        expect_error(lambda: self.alice.get_crawler(Name="sales"), "EntityNotFoundException")
        expect_error(lambda: self.alice.start_crawler(Name="sales"), "EntityNotFoundException")
        assert "sales" not in self.alice.list_crawlers()["CrawlerNames"]
        self.glue.start_crawler(Name="sales")
        deadline = time.monotonic() + 60
        while True:
            crawler = self.glue.get_crawler(Name="sales")["Crawler"]
            if crawler["State"] == "READY" and "LastCrawl" in crawler:
                break
            assert time.monotonic() < deadline, crawler
            time.sleep(0.2)
        assert crawler["LastCrawl"]["Status"] == "SUCCEEDED", crawler
        crawls = self.glue.list_crawls(CrawlerName="sales")["Crawls"]
        assert [c["State"] for c in crawls] == ["COMPLETED"], crawls
        assert self.glue.list_crawls(CrawlerName="sales", Filters=[
            {"FieldName": "STATE", "FilterOperator": "EQ", "FieldValue": "FAILED"}])["Crawls"] == []
        tables = self.glue.get_tables(DatabaseName="crawled")["TableList"]
        assert [t["Name"] for t in tables] == ["sales"], tables
        assert column_names(tables[0])[:3] == ["order_id", "amount", "country"], tables
        metrics = self.glue.get_crawler_metrics(CrawlerNameList=["sales"])["CrawlerMetricsList"]
        assert metrics[0]["CrawlerName"] == "sales" and metrics[0]["TablesCreated"] == 1, metrics
        assert "sales" in self.glue.list_crawlers()["CrawlerNames"]
        assert [c["Name"] for c in self.glue.get_crawlers()["Crawlers"]] == ["sales"]
        self.glue.update_crawler(Name="sales", TablePrefix="raw_", Description="daily sales")
        crawler = self.glue.get_crawler(Name="sales")["Crawler"]
        assert crawler["TablePrefix"] == "raw_" and crawler["Description"] == "daily sales", crawler
        assert crawler["Targets"]["S3Targets"][0]["Path"] == self.files, crawler
        self.glue.update_crawler_schedule(CrawlerName="sales", Schedule="cron(0 12 * * ? *)")
        crawler = self.glue.get_crawler(Name="sales")["Crawler"]
        assert crawler["Schedule"] == {"ScheduleExpression": "cron(0 12 * * ? *)", "State": "SCHEDULED"}, crawler
        expect_error(lambda: self.glue.start_crawler_schedule(CrawlerName="sales"), "SchedulerRunningException")
        expect_error(lambda: self.glue.update_crawler_schedule(CrawlerName="sales", Schedule="cron(nonsense)"),
                     "InvalidInputException", "Schedule")
        self.glue.delete_crawler(Name="sales")
        expect_error(lambda: self.glue.get_crawler(Name="sales"), "EntityNotFoundException")

    def custom_entity_types(self):
        # Bad input names the member; missing types are EntityNotFoundException; only administrators create.
        expect_error(lambda: self.glue.create_custom_entity_type(Name="EMP_ID", RegexString="EMP-("),
                     "InvalidInputException", "RegexString", status=400)
        expect_error(lambda: self.glue.create_custom_entity_type(Name="EMAIL", RegexString="x+"),
                     "InvalidInputException", "Name")
        expect_error(lambda: self.glue.create_custom_entity_type(Name="bad name", RegexString="x+"),
                     "InvalidInputException", "Name")
        expect_error(lambda: self.glue.create_custom_entity_type(Name="EMP_ID", RegexString="x+",
                                                                 ContextWords=["staff", "w" * 101]),
                     "InvalidInputException", "ContextWords[1]")
        expect_error(lambda: self.glue.create_custom_entity_type(Name="EMP_ID", RegexString="x+",
                                                                 Tags={"team": "hr"}),
                     "InvalidInputException", "Tags")
        status, headers, payload = self.raw("AWSGlue.CreateCustomEntityType", {"Name": "EMP_ID"})
        assert status == 400 and payload == {"__type": "InvalidInputException",
                                             "Message": "RegexString: is required"}, payload
        status, headers, payload = self.raw("AWSGlue.BatchGetCustomEntityTypes", {"Names": []})
        assert status == 400 and payload["Message"].startswith("Names:"), payload
        expect_error(lambda: self.glue.get_custom_entity_type(Name="NOPE"), "EntityNotFoundException", "NOPE")
        expect_error(lambda: self.glue.delete_custom_entity_type(Name="NOPE"), "EntityNotFoundException", "NOPE")
        expect_error(lambda: self.alice.create_custom_entity_type(Name="EMP_ID", RegexString="EMP-[0-9]{6}"),
                     "AccessDeniedException", status=403)

        created = self.glue.create_custom_entity_type(Name="EMP_ID", RegexString="EMP-[0-9]{6}",
                                                      ContextWords=["employee", "staff"])
        assert created["Name"] == "EMP_ID", created
        expect_error(lambda: self.glue.create_custom_entity_type(Name="EMP_ID", RegexString="E[0-9]+"),
                     "AlreadyExistsException", "EMP_ID")
        self.glue.create_custom_entity_type(Name="BADGE", RegexString="B[0-9]{5}")
        got = self.glue.get_custom_entity_type(Name="EMP_ID")
        assert (got["Name"], got["RegexString"], got["ContextWords"]) == (
            "EMP_ID", "EMP-[0-9]{6}", ["employee", "staff"]), got
        got = self.glue.get_custom_entity_type(Name="BADGE")
        assert got["RegexString"] == "B[0-9]{5}" and "ContextWords" not in got, got
        listed = self.glue.list_custom_entity_types()["CustomEntityTypes"]
        assert {t["Name"] for t in listed} == {"EMP_ID", "BADGE"}, listed
        first = self.glue.list_custom_entity_types(MaxResults=1)
        assert len(first["CustomEntityTypes"]) == 1 and first.get("NextToken"), first
        second = self.glue.list_custom_entity_types(MaxResults=1, NextToken=first["NextToken"])
        assert len(second["CustomEntityTypes"]) == 1 and "NextToken" not in second, second
        names = {first["CustomEntityTypes"][0]["Name"], second["CustomEntityTypes"][0]["Name"]}
        assert names == {"EMP_ID", "BADGE"}, (first, second)
        batch = self.glue.batch_get_custom_entity_types(Names=["BADGE", "NOPE", "EMP_ID"])
        assert [t["Name"] for t in batch["CustomEntityTypes"]] == ["BADGE", "EMP_ID"], batch
        assert batch["CustomEntityTypesNotFound"] == ["NOPE"], batch
        # The native API sees the same types.
        native = self.native.ok("GET", "/v1/entity-types/EMP_ID")
        assert native["pattern"] == "EMP-[0-9]{6}" and native["context_words"] == ["employee", "staff"], native

        expect_error(lambda: self.alice.delete_custom_entity_type(Name="BADGE"), "AccessDeniedException",
                     status=403)
        assert self.glue.delete_custom_entity_type(Name="BADGE")["Name"] == "BADGE"
        expect_error(lambda: self.glue.get_custom_entity_type(Name="BADGE"), "EntityNotFoundException")
        batch = self.glue.batch_get_custom_entity_types(Names=["BADGE"])
        assert batch["CustomEntityTypes"] == [] and batch["CustomEntityTypesNotFound"] == ["BADGE"], batch
        self.glue.delete_custom_entity_type(Name="EMP_ID")
        assert self.glue.list_custom_entity_types()["CustomEntityTypes"] == []

    def aws_cli(self):
        aws = shutil.which("aws")
        assert aws, "the AWS CLI (aws) is not on PATH"

        def run(key, secret, *args):
            env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=REGION,
                       AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
            env.pop("AWS_PROFILE", None)
            env.pop("AWS_SESSION_TOKEN", None)
            return subprocess.run([aws, "glue"] + list(args) + ["--endpoint-url", self.ep, "--output", "json"],
                                  env=env, capture_output=True, text=True, timeout=120)

        result = run(ADMIN_KEY, ADMIN_SECRET, "get-table", "--database-name", "hr", "--name", "employees")
        assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
        assert column_names(json.loads(result.stdout)["Table"]) == [c for c, _ in EMPLOYEE_COLUMNS], result.stdout
        result = run(*self.alice_key, "get-table", "--database-name", "hr", "--name", "employees")
        assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
        assert column_names(json.loads(result.stdout)["Table"]) == ["id", "name"], result.stdout
        result = run(*self.alice_key, "get-table", "--database-name", "hr", "--name", "secrets")
        assert result.returncode != 0 and "EntityNotFoundException" in result.stderr, (result.returncode,
                                                                                      result.stderr)
        result = run(ADMIN_KEY, ADMIN_SECRET, "get-databases")
        assert result.returncode == 0 and "hr" in [d["Name"] for d in json.loads(result.stdout)["DatabaseList"]], \
            (result.returncode, result.stdout, result.stderr)

    def checks(self):
        return [
            ("authentication errors and unsupported operations", self.authentication_and_operations),
            ("bad input names the member", self.bad_input),
            ("unprivileged caller", self.unprivileged_caller),
            ("databases", self.databases),
            ("tables, versions and optimistic concurrency", self.tables_and_versions),
            ("partitions", self.partitions),
            ("crawlers over local CSV files", self.crawlers),
            ("custom entity types", self.custom_entity_types),
            ("aws glue CLI", self.aws_cli),
        ]


def run_store(binary, store):
    """Runs every check on one store; returns (passed, failed)."""
    return cairn_testing.run_suite_on_store(binary, store, Suite, ADMIN_KEY, ADMIN_SECRET, "glue")


if __name__ == "__main__":
    sys.exit(cairn_testing.main_over_stores(sys.argv, run_store))

#!/usr/bin/env python3
"""The Lake Formation API of a real cairnd, driven by boto3's lakeformation client and the AWS CLI.

Usage: lakeformation_integration_test.py PATH/TO/cairnd

Runs every check against cairnd on the embedded SQLite store and, when CAIRN_TEST_DATABASE_URL is set, again on
PostgreSQL (in a database created for the run and dropped afterwards). Covers grant/list/revoke on every resource
kind, batch grants, LF-Tags (lifecycle, assignment, inherited tags), data cells filters, registered resources,
data lake settings, authorization (an unprivileged caller), input errors that name the offending member, the AWS
CLI, and that a grant made through Lake Formation is what the native engine endpoint enforces.
Prints "N passed, M failed" and exits non-zero when anything failed; cairnd is stopped in every case.
"""

import json
import os
import shutil
import subprocess
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import cairn_testing  # noqa: E402 - found through the path set just above

ADMIN_KEY = "AKIACAIRNLFTESTADMIN"
ADMIN_SECRET = "cairn-lakeformation-test-secret-0123456789"
REGION = "us-east-1"
CATALOG = "000000000000"
ADMIN_ARN = "arn:aws:iam::%s:user/admin" % CATALOG


def arn(kind, name):
    return "arn:aws:iam::%s:%s/%s" % (CATALOG, kind, name)


def principal(kind, name):
    return {"DataLakePrincipalIdentifier": arn(kind, name)}


def Native(endpoint, key, secret):
    """The native /v1/ API, signed with botocore's SigV4Auth."""
    return cairn_testing.NativeClient(endpoint, key, secret, REGION)


def lf_client(endpoint, key, secret):
    return cairn_testing.aws_client("lakeformation", endpoint, key, secret, REGION)


expect_error = cairn_testing.expect_client_error


def column(name, type_):
    return {"name": name, "type": type_, "comment": "", "parameters": {}}


def table_body(name, location, columns, partition_keys=()):
    return {"name": name, "table_type": "EXTERNAL_TABLE", "parameters": {"classification": "parquet"},
            "partition_keys": list(partition_keys),
            "storage_descriptor": {"columns": columns, "location": location,
                                   "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                                   "output_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                                   "serde_info": {"serialization_library":
                                                  "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                                                  "parameters": {}},
                                   "parameters": {}}}


EMPLOYEE_COLUMNS = ["id", "name", "salary", "phone_number", "country"]


class Suite:
    """Every check, against one cairnd. Checks share the fixture created by setup() and clean up after themselves."""

    def __init__(self, server):
        self.server = server
        self.ep = server.endpoint
        self.native = Native(self.ep, ADMIN_KEY, ADMIN_SECRET)
        self.lf = lf_client(self.ep, ADMIN_KEY, ADMIN_SECRET)

    # --- fixture ---

    def user(self, name):
        self.native.ok("POST", "/v1/users", {"name": name})
        created = self.native.ok("POST", "/v1/users/%s/access-keys" % name)
        return created["access_key_id"], created["secret_access_key"]

    def setup(self):
        self.alice_key = self.user("alice")
        self.bob_key = self.user("bob")
        self.native.ok("POST", "/v1/groups", {"name": "analysts"})
        self.native.ok("PUT", "/v1/groups/analysts/members/alice")
        self.alice = lf_client(self.ep, *self.alice_key)
        self.bob = lf_client(self.ep, *self.bob_key)
        self.alice_native = Native(self.ep, *self.alice_key)
        self.native.ok("POST", "/v1/databases", {"name": "hr", "location_uri": "s3://lake/hr"})
        self.native.ok("POST", "/v1/databases", {"name": "sales", "location_uri": "s3://lake/sales"})
        types = {"id": "bigint", "name": "string", "salary": "decimal(10,2)", "phone_number": "string",
                 "country": "string"}
        self.native.ok("POST", "/v1/databases/hr/tables",
                       table_body("employees", "s3://lake/hr/employees/",
                                  [column(c, types[c]) for c in EMPLOYEE_COLUMNS]))
        self.native.ok("POST", "/v1/databases/sales/tables",
                       table_body("orders", "s3://lake/sales/orders/",
                                  [column("order_id", "bigint"), column("amount", "double")],
                                  [column("year", "int")]))

    def alice_permissions(self, **kwargs):
        """Alice's explicitly listed permissions (as the administrator sees them), every page followed."""
        out, token = [], None
        while True:
            args = dict(kwargs, Principal=principal("user", "alice"))
            if token:
                args["NextToken"] = token
            page = self.lf.list_permissions(**args)
            out += page["PrincipalResourcePermissions"]
            token = page.get("NextToken")
            if not token:
                return out

    def access(self, client_native, db, table):
        return client_native.call("GET", "/v1/databases/%s/tables/%s/access" % (db, table))

    # --- checks ---

    def data_lake_settings(self):
        settings = self.lf.get_data_lake_settings()["DataLakeSettings"]
        assert settings["DataLakeAdmins"] == [{"DataLakePrincipalIdentifier": ADMIN_ARN}], settings
        assert settings["CreateDatabaseDefaultPermissions"] == [], settings
        # A get-modify-put that changes nothing is accepted; changing the administrators is refused by name.
        self.lf.put_data_lake_settings(DataLakeSettings=settings)
        changed = dict(settings, DataLakeAdmins=settings["DataLakeAdmins"] + [principal("user", "alice")])
        expect_error(lambda: self.lf.put_data_lake_settings(DataLakeSettings=changed), "InvalidInputException",
                     ["DataLakeSettings.DataLakeAdmins", "cairnd bootstrap"])
        expect_error(lambda: self.alice.put_data_lake_settings(DataLakeSettings=settings), "AccessDeniedException",
                     status=403)
        assert self.alice.get_data_lake_principal()["Identity"] == arn("user", "alice")
        expect_error(lambda: self.lf.get_data_lake_settings(CatalogId="123456789012"), "EntityNotFoundException",
                     "123456789012")

    def grant_list_revoke_every_kind(self):
        self.lf.register_resource(ResourceArn="arn:aws:s3:::lake/hr")
        self.lf.create_data_cells_filter(TableData={
            "TableCatalogId": CATALOG, "DatabaseName": "hr", "TableName": "employees", "Name": "kinds_filter",
            "RowFilter": {"AllRowsWildcard": {}}, "ColumnNames": ["id"]})
        self.lf.create_lf_tag(TagKey="kinds", TagValues=["a", "b"])
        cases = [
            ({"Catalog": {}}, ["CREATE_DATABASE"], ["CREATE_DATABASE"]),
            ({"Database": {"CatalogId": CATALOG, "Name": "hr"}}, ["CREATE_TABLE", "DESCRIBE"], ["DESCRIBE"]),
            ({"Table": {"CatalogId": CATALOG, "DatabaseName": "hr", "Name": "employees"}}, ["SELECT", "ALTER"], []),
            ({"Table": {"CatalogId": CATALOG, "DatabaseName": "sales", "TableWildcard": {}}}, ["SELECT"], ["SELECT"]),
            ({"TableWithColumns": {"CatalogId": CATALOG, "DatabaseName": "hr", "Name": "employees",
                                   "ColumnNames": ["id", "name"]}}, ["SELECT"], []),
            ({"TableWithColumns": {"CatalogId": CATALOG, "DatabaseName": "hr", "Name": "employees",
                                   "ColumnWildcard": {"ExcludedColumnNames": ["salary"]}}}, ["SELECT"], []),
            ({"DataLocation": {"CatalogId": CATALOG, "ResourceArn": "arn:aws:s3:::lake/hr"}},
             ["DATA_LOCATION_ACCESS"], []),
            ({"DataCellsFilter": {"TableCatalogId": CATALOG, "DatabaseName": "hr", "TableName": "employees",
                                  "Name": "kinds_filter"}}, ["SELECT", "DESCRIBE"], []),
            ({"LFTagPolicy": {"CatalogId": CATALOG, "ResourceType": "DATABASE",
                              "Expression": [{"TagKey": "kinds", "TagValues": ["a"]}]}}, ["DESCRIBE"], []),
            ({"LFTagPolicy": {"CatalogId": CATALOG, "ResourceType": "TABLE",
                              "Expression": [{"TagKey": "kinds", "TagValues": ["b", "a"]}]}}, ["SELECT"], []),
        ]
        for resource, permissions, grantable in cases:
            self.lf.grant_permissions(Principal=principal("user", "alice"), Resource=resource,
                                      Permissions=permissions, PermissionsWithGrantOption=grantable)
            listed = self.alice_permissions(Resource=resource) if "TableWithColumns" not in resource else [
                p for p in self.alice_permissions(Resource={"Table": {
                    "DatabaseName": "hr", "Name": "employees"}}) if "TableWithColumns" in p["Resource"]]
            assert len(listed) == 1, (resource, listed)
            entry = listed[0]
            expected = json.loads(json.dumps(resource))
            if "LFTagPolicy" in expected:
                for condition in expected["LFTagPolicy"]["Expression"]:
                    condition["TagValues"] = sorted(condition["TagValues"])
            if "TableWithColumns" in expected and "ColumnNames" in expected["TableWithColumns"]:
                expected["TableWithColumns"]["ColumnNames"] = sorted(expected["TableWithColumns"]["ColumnNames"])
            assert entry["Resource"] == expected, (entry["Resource"], expected)
            assert sorted(entry["Permissions"]) == sorted(permissions), entry
            assert sorted(entry["PermissionsWithGrantOption"]) == sorted(grantable), entry
            assert entry["Principal"] == principal("user", "alice"), entry
            assert entry["LastUpdatedBy"] == ADMIN_ARN, entry
            assert entry["LastUpdated"].year >= 2024, entry
            self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource=resource, Permissions=permissions)
            remaining = [p for p in self.alice_permissions() if p["Resource"] == entry["Resource"]]
            assert remaining == [], (resource, remaining)
        assert self.alice_permissions() == [], self.alice_permissions()
        self.lf.delete_data_cells_filter(TableCatalogId=CATALOG, DatabaseName="hr", TableName="employees",
                                         Name="kinds_filter")
        self.lf.delete_lf_tag(TagKey="kinds")
        self.lf.deregister_resource(ResourceArn="arn:aws:s3:::lake/hr")

    def everyone_and_groups(self):
        everyone = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}
        resource = {"Database": {"Name": "sales"}}
        self.lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": "EVERYONE"}, Resource=resource,
                                  Permissions=["DESCRIBE"])
        self.lf.grant_permissions(Principal=principal("group", "analysts"), Resource=resource, Permissions=["ALTER"])
        listed = self.lf.list_permissions(Resource=resource)["PrincipalResourcePermissions"]
        principals = sorted(p["Principal"]["DataLakePrincipalIdentifier"] for p in listed)
        assert principals == sorted(["IAM_ALLOWED_PRINCIPALS", arn("group", "analysts")]), listed
        # A member sees the grants of its group and of everyone, and nobody else's.
        mine = self.alice.list_permissions()["PrincipalResourcePermissions"]
        assert sorted(p["Principal"]["DataLakePrincipalIdentifier"] for p in mine) == principals, mine
        self.lf.revoke_permissions(Principal=everyone, Resource=resource, Permissions=["DESCRIBE"])
        self.lf.revoke_permissions(Principal=principal("group", "analysts"), Resource=resource, Permissions=["ALTER"])

    def list_filters_and_paging(self):
        grants = [({"Database": {"Name": "hr"}}, ["DESCRIBE"]),
                  ({"Database": {"Name": "sales"}}, ["DESCRIBE"]),
                  ({"Table": {"DatabaseName": "hr", "Name": "employees"}}, ["DESCRIBE"]),
                  ({"Table": {"DatabaseName": "sales", "Name": "orders"}}, ["SELECT"]),
                  ({"Catalog": {}}, ["CREATE_DATABASE"])]
        for resource, permissions in grants:
            self.lf.grant_permissions(Principal=principal("user", "alice"), Resource=resource, Permissions=permissions)
        self.lf.grant_permissions(Principal=principal("user", "bob"), Resource={"Database": {"Name": "hr"}},
                                  Permissions=["DESCRIBE"])
        seen, token, pages = [], None, 0
        while True:
            args = {"Principal": principal("user", "alice"), "MaxResults": 2}
            if token:
                args["NextToken"] = token
            page = self.lf.list_permissions(**args)
            assert len(page["PrincipalResourcePermissions"]) <= 2, page
            seen += page["PrincipalResourcePermissions"]
            pages += 1
            token = page.get("NextToken")
            if not token:
                break
        assert pages >= 3 and len(seen) == 5, (pages, seen)
        assert len({json.dumps(p["Resource"], sort_keys=True) for p in seen}) == 5, seen
        databases = self.lf.list_permissions(Principal=principal("user", "alice"), ResourceType="DATABASE")
        assert sorted(p["Resource"]["Database"]["Name"] for p in databases["PrincipalResourcePermissions"]) == \
            ["hr", "sales"], databases
        tables = self.lf.list_permissions(ResourceType="TABLE")["PrincipalResourcePermissions"]
        assert len(tables) == 2 and all("Table" in p["Resource"] for p in tables), tables
        on_hr = self.lf.list_permissions(Resource={"Database": {"Name": "HR"}})["PrincipalResourcePermissions"]
        assert sorted(p["Principal"]["DataLakePrincipalIdentifier"] for p in on_hr) == \
            [arn("user", "alice"), arn("user", "bob")], on_hr
        catalog = self.lf.list_permissions(Resource={"Catalog": {}})["PrincipalResourcePermissions"]
        assert [p["Permissions"] for p in catalog] == [["CREATE_DATABASE"]], catalog
        for resource, permissions in grants:
            self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource=resource, Permissions=permissions)
        self.lf.revoke_permissions(Principal=principal("user", "bob"), Resource={"Database": {"Name": "hr"}},
                                   Permissions=["DESCRIBE"])

    def batch_grant_and_revoke(self):
        good = {"Id": "good", "Principal": principal("user", "alice"),
                "Resource": {"Table": {"DatabaseName": "sales", "Name": "orders"}}, "Permissions": ["SELECT"]}
        bad = {"Id": "bad", "Principal": principal("user", "alice"),
               "Resource": {"TableWithColumns": {"DatabaseName": "sales", "Name": "orders",
                                                 "ColumnNames": ["no_such_column"]}},
               "Permissions": ["SELECT"]}
        missing = {"Id": "missing", "Principal": principal("user", "nobody"),
                   "Resource": {"Database": {"Name": "sales"}}, "Permissions": ["DESCRIBE"]}
        failures = self.lf.batch_grant_permissions(Entries=[good, bad, missing])["Failures"]
        by_id = {f["RequestEntry"]["Id"]: f["Error"] for f in failures}
        assert set(by_id) == {"bad", "missing"}, failures
        assert by_id["bad"]["ErrorCode"] == "InvalidInputException", by_id
        assert "Resource.TableWithColumns.ColumnNames[0]" in by_id["bad"]["ErrorMessage"], by_id
        assert "no_such_column" in by_id["bad"]["ErrorMessage"], by_id
        assert by_id["missing"]["ErrorCode"] == "EntityNotFoundException", by_id
        assert len(self.alice_permissions()) == 1, self.alice_permissions()
        failures = self.lf.batch_revoke_permissions(Entries=[good, dict(good, Id="again")])["Failures"]
        assert [f["RequestEntry"]["Id"] for f in failures] == ["again"], failures
        assert failures[0]["Error"]["ErrorCode"] == "InvalidInputException", failures
        assert "No permissions revoked" in failures[0]["Error"]["ErrorMessage"], failures
        assert self.alice_permissions() == []

    def revoke_not_held(self):
        expect_error(lambda: self.lf.revoke_permissions(
            Principal=principal("user", "alice"), Resource={"Database": {"Name": "hr"}}, Permissions=["ALTER"]),
            "InvalidInputException", "No permissions revoked")

    def lf_tag_lifecycle(self):
        self.lf.create_lf_tag(TagKey="Sensitivity", TagValues=["low", "HIGH"])
        self.lf.create_lf_tag(TagKey="domain", TagValues=["hr", "sales"])
        expect_error(lambda: self.lf.create_lf_tag(TagKey="sensitivity", TagValues=["x"]), "AlreadyExistsException")
        tag = self.lf.get_lf_tag(TagKey="SENSITIVITY")
        assert tag["TagKey"] == "sensitivity" and tag["TagValues"] == ["high", "low"] and tag["CatalogId"] == CATALOG
        self.lf.update_lf_tag(TagKey="sensitivity", TagValuesToAdd=["medium"])
        self.lf.update_lf_tag(TagKey="sensitivity", TagValuesToDelete=["medium"])
        assert self.lf.get_lf_tag(TagKey="sensitivity")["TagValues"] == ["high", "low"]
        expect_error(lambda: self.lf.update_lf_tag(TagKey="sensitivity"), "InvalidInputException", "TagValuesToAdd")
        self.lf.create_lf_tag(TagKey="scratch", TagValues=["x"])
        listed, token = [], None
        while True:
            page = self.lf.list_lf_tags(MaxResults=2, **({"NextToken": token} if token else {}))
            listed += [t["TagKey"] for t in page["LFTags"]]
            token = page.get("NextToken")
            if not token:
                break
        assert listed == ["domain", "scratch", "sensitivity"], listed
        paginated = [t["TagKey"] for page in self.lf.get_paginator("list_lf_tags").paginate(
            PaginationConfig={"PageSize": 1}) for t in page["LFTags"]]
        assert paginated == listed, paginated
        assert self.lf.list_lf_tags(ResourceShareType="FOREIGN")["LFTags"] == []
        assert [t["TagKey"] for t in self.alice.list_lf_tags()["LFTags"]] == listed  # any caller may list
        expect_error(lambda: self.alice.create_lf_tag(TagKey="mine", TagValues=["x"]), "AccessDeniedException",
                     status=403)
        self.lf.delete_lf_tag(TagKey="scratch")
        expect_error(lambda: self.lf.get_lf_tag(TagKey="scratch"), "EntityNotFoundException", "scratch")
        expect_error(lambda: self.lf.create_lf_tag(TagKey="bad key!", TagValues=["x"]), "InvalidInputException",
                     "TagKey")

    def lf_tag_assignment(self):
        db = {"Database": {"Name": "hr"}}
        table = {"Table": {"DatabaseName": "hr", "Name": "employees"}}
        salary = {"TableWithColumns": {"DatabaseName": "hr", "Name": "employees", "ColumnNames": ["salary"]}}
        tag = lambda k, v: {"TagKey": k, "TagValues": [v]}  # noqa: E731
        assert self.lf.add_lf_tags_to_resource(Resource=db, LFTags=[tag("sensitivity", "low")])["Failures"] == []
        assert self.lf.add_lf_tags_to_resource(Resource=table, LFTags=[tag("domain", "hr")])["Failures"] == []
        assert self.lf.add_lf_tags_to_resource(Resource=salary, LFTags=[tag("sensitivity", "high")])["Failures"] == []
        # Unknown keys and disallowed values are reported per tag; the others are assigned.
        failures = self.lf.add_lf_tags_to_resource(
            Resource=table, LFTags=[tag("nope", "x"), tag("domain", "finance")])["Failures"]
        assert sorted(f["LFTag"]["TagKey"] for f in failures) == ["domain", "nope"], failures
        assert {f["LFTag"]["TagKey"]: f["Error"]["ErrorCode"] for f in failures} == {
            "nope": "EntityNotFoundException", "domain": "InvalidInputException"}, failures

        pairs = lambda tags: sorted((t["TagKey"], t["TagValues"][0]) for t in tags)  # noqa: E731
        got = self.lf.get_resource_lf_tags(Resource=table)
        assert pairs(got["LFTagOnDatabase"]) == [("sensitivity", "low")], got
        assert pairs(got["LFTagsOnTable"]) == [("domain", "hr"), ("sensitivity", "low")], got  # inherited too
        columns = {c["Name"]: pairs(c["LFTags"]) for c in got["LFTagsOnColumns"]}
        assert sorted(columns) == sorted(EMPLOYEE_COLUMNS), columns
        assert columns["salary"] == [("domain", "hr"), ("sensitivity", "high")], columns  # the column overrides
        assert columns["name"] == [("domain", "hr"), ("sensitivity", "low")], columns
        assigned = self.lf.get_resource_lf_tags(Resource=table, ShowAssignedLFTags=True)
        assert pairs(assigned["LFTagsOnTable"]) == [("domain", "hr")], assigned
        assigned_columns = {c["Name"]: pairs(c["LFTags"]) for c in assigned["LFTagsOnColumns"]}
        assert assigned_columns["salary"] == [("sensitivity", "high")] and assigned_columns["name"] == [], assigned
        only_salary = self.lf.get_resource_lf_tags(Resource=salary)
        assert [c["Name"] for c in only_salary["LFTagsOnColumns"]] == ["salary"], only_salary
        assert pairs(self.lf.get_resource_lf_tags(Resource=db)["LFTagOnDatabase"]) == [("sensitivity", "low")]

        # A tag policy grant follows the tags: every column but the one tagged high (journey 2).
        policy = {"LFTagPolicy": {"ResourceType": "TABLE",
                                  "Expression": [{"TagKey": "sensitivity", "TagValues": ["low"]}]}}
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource=policy, Permissions=["SELECT"])
        status, access = self.access(self.alice_native, "hr", "employees")
        assert status == 200, (status, access)
        assert sorted(c["name"] for c in access["columns"]) == sorted(set(EMPLOYEE_COLUMNS) - {"salary"}), access
        # Alice sees the table, so she may read its tags, but only for the columns she can see.
        alice_view = self.alice.get_resource_lf_tags(Resource=table)
        assert "salary" not in [c["Name"] for c in alice_view["LFTagsOnColumns"]], alice_view
        # Removing a tag that is only inherited there is a failure; removing the assigned one works.
        failures = self.lf.remove_lf_tags_from_resource(Resource=table, LFTags=[tag("sensitivity", "low")])["Failures"]
        assert len(failures) == 1 and "inherited" in failures[0]["Error"]["ErrorMessage"], failures
        removed = self.lf.remove_lf_tags_from_resource(Resource=salary, LFTags=[tag("sensitivity", "high")])
        assert removed["Failures"] == [], removed
        status, access = self.access(self.alice_native, "hr", "employees")
        assert sorted(c["name"] for c in access["columns"]) == sorted(EMPLOYEE_COLUMNS), access
        self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource=policy, Permissions=["SELECT"])
        assert self.access(self.alice_native, "hr", "employees")[0] == 404
        # Assigning needs ALTER (or an administrator).
        expect_error(lambda: self.bob.add_lf_tags_to_resource(Resource=db, LFTags=[tag("domain", "hr")]),
                     "EntityNotFoundException")
        self.lf.grant_permissions(Principal=principal("user", "bob"), Resource=db, Permissions=["DESCRIBE"])
        expect_error(lambda: self.bob.add_lf_tags_to_resource(Resource=db, LFTags=[tag("domain", "hr")]),
                     "AccessDeniedException", status=403)
        self.lf.revoke_permissions(Principal=principal("user", "bob"), Resource=db, Permissions=["DESCRIBE"])
        for resource in (db, table):
            for t in self.lf.get_resource_lf_tags(Resource=resource, ShowAssignedLFTags=True).get(
                    "LFTagsOnTable" if "Table" in resource else "LFTagOnDatabase", []):
                self.lf.remove_lf_tags_from_resource(Resource=resource, LFTags=[tag(t["TagKey"], t["TagValues"][0])])
        expect_error(lambda: self.lf.get_resource_lf_tags(Resource={"Table": {"DatabaseName": "hr",
                                                                                "Name": "missing"}}),
                     "EntityNotFoundException")

    def data_cells_filters(self):
        data = {"TableCatalogId": CATALOG, "DatabaseName": "hr", "TableName": "employees", "Name": "emea",
                "RowFilter": {"FilterExpression": "country = 'DE'"},
                "ColumnWildcard": {"ExcludedColumnNames": ["phone_number"]}}
        self.lf.create_data_cells_filter(TableData=data)
        expect_error(lambda: self.lf.create_data_cells_filter(TableData=data), "AlreadyExistsException")
        got = self.lf.get_data_cells_filter(TableCatalogId=CATALOG, DatabaseName="hr", TableName="employees",
                                            Name="emea")["DataCellsFilter"]
        assert got["RowFilter"] == {"FilterExpression": "country = 'DE'"}, got
        assert got["ColumnWildcard"] == {"ExcludedColumnNames": ["phone_number"]} and got["VersionId"] == "1", got
        # Granted SELECT on the filter, alice resolves the row filter and the columns (journey 4).
        resource = {"DataCellsFilter": {"TableCatalogId": CATALOG, "DatabaseName": "hr", "TableName": "employees",
                                        "Name": "emea"}}
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource=resource, Permissions=["SELECT"])
        status, access = self.access(self.alice_native, "hr", "employees")
        assert status == 200 and access["all_rows"] is False and "DE" in access["row_filter"], access
        assert sorted(c["name"] for c in access["columns"]) == sorted(set(EMPLOYEE_COLUMNS) - {"phone_number"})
        related = self.lf.list_permissions(Resource={"Table": {"DatabaseName": "hr", "Name": "employees"}},
                                           IncludeRelated="TRUE")["PrincipalResourcePermissions"]
        assert [p["Resource"] for p in related] == [resource], related
        assert self.lf.list_permissions(Resource={"Table": {"DatabaseName": "hr", "Name": "employees"}})[
            "PrincipalResourcePermissions"] == []
        # Update with the current version; a stale version is a concurrent modification.
        updated = dict(data, RowFilter={"FilterExpression": "country IN ('DE', 'FR')"}, VersionId="1",
                       ColumnNames=["id", "name", "country"])
        del updated["ColumnWildcard"]
        self.lf.update_data_cells_filter(TableData=updated)
        got = self.lf.get_data_cells_filter(TableCatalogId=CATALOG, DatabaseName="hr", TableName="employees",
                                            Name="emea")["DataCellsFilter"]
        assert got["VersionId"] == "2" and got["ColumnNames"] == ["country", "id", "name"], got
        expect_error(lambda: self.lf.update_data_cells_filter(TableData=updated), "ConcurrentModificationException")
        status, access = self.access(self.alice_native, "hr", "employees")
        assert sorted(c["name"] for c in access["columns"]) == ["country", "id", "name"], access
        # Bad input names the member.
        bad = dict(data, Name="bad", RowFilter={"FilterExpression": "region = 'x'"})
        expect_error(lambda: self.lf.create_data_cells_filter(TableData=bad), "InvalidInputException",
                     ["TableData.RowFilter.FilterExpression", "region"])
        both = dict(data, Name="both", RowFilter={"FilterExpression": "id > 1", "AllRowsWildcard": {}})
        expect_error(lambda: self.lf.create_data_cells_filter(TableData=both), "InvalidInputException",
                     "TableData.RowFilter")
        all_rows = dict(data, Name="all_rows", RowFilter={"AllRowsWildcard": {}})
        self.lf.create_data_cells_filter(TableData=all_rows)
        listed = self.lf.list_data_cells_filter(Table={"CatalogId": CATALOG, "DatabaseName": "hr",
                                                       "Name": "employees"})["DataCellsFilters"]
        assert sorted(f["Name"] for f in listed) == ["all_rows", "emea"], listed
        assert [f for f in listed if f["Name"] == "all_rows"][0]["RowFilter"] == {"AllRowsWildcard": {}}, listed
        paged = [f["Name"] for page in self.lf.get_paginator("list_data_cells_filter").paginate(
            PaginationConfig={"PageSize": 1}) for f in page["DataCellsFilters"]]
        assert paged == ["all_rows", "emea"], paged
        # Alice holds SELECT on emea only: she may not describe the other filter, nor delete hers.
        assert [f["Name"] for f in self.alice.list_data_cells_filter()["DataCellsFilters"]] == []
        expect_error(lambda: self.alice.delete_data_cells_filter(TableCatalogId=CATALOG, DatabaseName="hr",
                                                                 TableName="employees", Name="emea"),
                     "EntityNotFoundException")
        for name in ("emea", "all_rows"):
            self.lf.delete_data_cells_filter(TableCatalogId=CATALOG, DatabaseName="hr", TableName="employees",
                                             Name=name)
        expect_error(lambda: self.lf.get_data_cells_filter(TableCatalogId=CATALOG, DatabaseName="hr",
                                                           TableName="employees", Name="emea"),
                     "EntityNotFoundException")
        assert self.alice_permissions() == []  # deleting the filter deleted the grant on it

    def registered_resources(self):
        self.lf.register_resource(ResourceArn="arn:aws:s3:::lake/sales", RoleArn=arn("role", "lf-access"))
        self.lf.register_resource(ResourceArn="arn:aws:s3:::lake/hr/", UseServiceLinkedRole=True)
        expect_error(lambda: self.lf.register_resource(ResourceArn="arn:aws:s3:::lake/sales"),
                     "AlreadyExistsException")
        info = self.lf.describe_resource(ResourceArn="arn:aws:s3:::lake/sales")["ResourceInfo"]
        assert info["ResourceArn"] == "arn:aws:s3:::lake/sales" and info["RoleArn"] == arn("role", "lf-access"), info
        listed = [r["ResourceArn"] for r in self.lf.list_resources()["ResourceInfoList"]]
        assert sorted(listed) == ["arn:aws:s3:::lake/hr", "arn:aws:s3:::lake/sales"], listed
        filtered = self.lf.list_resources(FilterConditionList=[
            {"Field": "RESOURCE_ARN", "ComparisonOperator": "CONTAINS", "StringValueList": ["sales"]}])
        assert [r["ResourceArn"] for r in filtered["ResourceInfoList"]] == ["arn:aws:s3:::lake/sales"], filtered
        paged = self.lf.list_resources(MaxResults=1)
        assert len(paged["ResourceInfoList"]) == 1 and paged.get("NextToken"), paged
        rest = self.lf.list_resources(MaxResults=1, NextToken=paged["NextToken"])
        assert len(rest["ResourceInfoList"]) == 1 and not rest.get("NextToken"), rest
        expect_error(lambda: self.lf.register_resource(ResourceArn="arn:aws:s3:::lake/x", HybridAccessEnabled=True),
                     "InvalidInputException", "HybridAccessEnabled")
        expect_error(lambda: self.lf.register_resource(ResourceArn="arn:aws:dynamodb:us-east-1:1:table/t"),
                     "InvalidInputException", ["ResourceArn", "S3"])
        expect_error(lambda: self.alice.register_resource(ResourceArn="arn:aws:s3:::lake/alice"),
                     "AccessDeniedException", status=403)
        # DATA_LOCATION_ACCESS granted through Lake Formation decides table creation at that location (L1).
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "sales"}},
                                  Permissions=["CREATE_TABLE"])
        body = table_body("returns", "s3://lake/sales/returns/", [column("id", "bigint")])
        status, payload = self.alice_native.call("POST", "/v1/databases/sales/tables", body)
        assert status == 403 and "DATA_LOCATION_ACCESS" in payload["error"]["message"], (status, payload)
        location = {"DataLocation": {"ResourceArn": "arn:aws:s3:::lake/sales"}}
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource=location,
                                  Permissions=["DATA_LOCATION_ACCESS"])
        status, payload = self.alice_native.call("POST", "/v1/databases/sales/tables", body)
        assert status == 201, (status, payload)
        # Effective permissions for a path: the grants on the databases and tables located under it.
        self.lf.grant_permissions(Principal=principal("user", "bob"), Resource={"Table": {
            "DatabaseName": "sales", "Name": "orders"}}, Permissions=["SELECT"])
        effective = self.lf.get_effective_permissions_for_path(ResourceArn="arn:aws:s3:::lake/sales/orders")
        assert [(p["Principal"]["DataLakePrincipalIdentifier"], p["Resource"]["Table"]["Name"])
                for p in effective["Permissions"]] == [(arn("user", "bob"), "orders")], effective
        whole = self.lf.get_effective_permissions_for_path(ResourceArn="arn:aws:s3:::lake/sales")["Permissions"]
        assert sorted(next(iter(p["Resource"])) for p in whole) == ["Database", "Table"], whole
        self.lf.revoke_permissions(Principal=principal("user", "bob"), Resource={"Table": {
            "DatabaseName": "sales", "Name": "orders"}}, Permissions=["SELECT"])
        self.native.ok("DELETE", "/v1/databases/sales/tables/returns")
        self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource=location,
                                   Permissions=["DATA_LOCATION_ACCESS"])
        self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "sales"}},
                                   Permissions=["CREATE_TABLE"])
        for resource_arn in ("arn:aws:s3:::lake/sales", "arn:aws:s3:::lake/hr"):
            self.lf.deregister_resource(ResourceArn=resource_arn)
        expect_error(lambda: self.lf.describe_resource(ResourceArn="arn:aws:s3:::lake/sales"),
                     "EntityNotFoundException")
        expect_error(lambda: self.lf.deregister_resource(ResourceArn="arn:aws:s3:::lake/sales"),
                     "EntityNotFoundException")

    def unprivileged_caller(self):
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "hr"}},
                                  Permissions=["DESCRIBE"])
        # Bob holds nothing: he lists no grants (only his own and his groups' would show) and may grant nothing.
        assert self.bob.list_permissions()["PrincipalResourcePermissions"] == []
        assert self.bob.list_permissions(Principal=principal("user", "alice"))["PrincipalResourcePermissions"] == []
        expect_error(lambda: self.bob.grant_permissions(
            Principal=principal("user", "bob"), Resource={"Catalog": {}}, Permissions=["CREATE_DATABASE"]),
            "AccessDeniedException", status=403)
        # Granting on a table bob cannot see is indistinguishable from granting on a missing one.
        expect_error(lambda: self.bob.grant_permissions(
            Principal=principal("user", "bob"), Resource={"Table": {"DatabaseName": "hr", "Name": "employees"}},
            Permissions=["SELECT"]), "EntityNotFoundException")
        # Alice sees her own grant, and cannot pass on a permission she holds without the grant option.
        mine = self.alice.list_permissions()["PrincipalResourcePermissions"]
        assert [p["Resource"] for p in mine] == [{"Database": {"CatalogId": CATALOG, "Name": "hr"}}], mine
        expect_error(lambda: self.alice.grant_permissions(
            Principal=principal("user", "bob"), Resource={"Database": {"Name": "hr"}}, Permissions=["DESCRIBE"]),
            "AccessDeniedException")
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "hr"}},
                                  Permissions=["DESCRIBE"], PermissionsWithGrantOption=["DESCRIBE"])
        self.alice.grant_permissions(Principal=principal("user", "bob"), Resource={"Database": {"Name": "hr"}},
                                     Permissions=["DESCRIBE"])
        bobs = self.lf.list_permissions(Principal=principal("user", "bob"))["PrincipalResourcePermissions"]
        assert [p["LastUpdatedBy"] for p in bobs] == [arn("user", "alice")], bobs
        self.alice.revoke_permissions(Principal=principal("user", "bob"), Resource={"Database": {"Name": "hr"}},
                                      Permissions=["DESCRIBE"])
        self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "hr"}},
                                   Permissions=["DESCRIBE"])
        expect_error(lambda: self.bob.list_resources(), "AccessDeniedException", status=403)

    def bad_input(self):
        alice = principal("user", "alice")
        table = {"Table": {"DatabaseName": "hr", "Name": "employees"}}
        cases = [
            (dict(Principal=alice, Resource={"TableWithColumns": {"DatabaseName": "hr", "Name": "employees",
                                                                  "ColumnNames": ["nope"]}},
                  Permissions=["SELECT"]), "InvalidInputException",
             ["Resource.TableWithColumns.ColumnNames[0]", "nope"]),
            (dict(Principal=alice, Resource={"TableWithColumns": {"DatabaseName": "hr", "Name": "employees"}},
                  Permissions=["SELECT"]), "InvalidInputException", ["Resource.TableWithColumns", "ColumnWildcard"]),
            (dict(Principal=alice, Resource={"TableWithColumns": {"DatabaseName": "hr", "Name": "employees",
                                                                  "ColumnNames": ["id"]}},
                  Permissions=["ALTER"]), "InvalidInputException", ["Permissions", "ALTER"]),
            (dict(Principal=alice, Resource=table, Permissions=["SUPER_USER"]), "InvalidInputException",
             ["Permissions[0]", "SUPER_USER"]),
            (dict(Principal=alice, Resource=table, Permissions=["SELECT"], PermissionsWithGrantOption=["ALTER"]),
             "InvalidInputException", "PermissionsWithGrantOption"),
            (dict(Principal=alice, Resource={"Database": {"Name": "hr"}}, Permissions=["CREATE_DATABASE"]),
             "InvalidInputException", ["Permissions", "CREATE_DATABASE"]),
            (dict(Principal={"DataLakePrincipalIdentifier": "arn:aws:iam::111122223333:user/alice"}, Resource=table,
                  Permissions=["SELECT"]), "InvalidInputException", "Principal.DataLakePrincipalIdentifier"),
            (dict(Principal={"DataLakePrincipalIdentifier": "arn:aws:quicksight:us-east-1:1:user/default/x"},
                  Resource=table, Permissions=["SELECT"]), "InvalidInputException",
             "Principal.DataLakePrincipalIdentifier"),
            (dict(Principal=alice, Resource={"LFTag": {"TagKey": "domain", "TagValues": ["hr"]}},
                  Permissions=["ASSOCIATE"]), "InvalidInputException", "Resource.LFTag"),
            (dict(Principal=alice, Resource={"LFTagExpression": {"Name": "x"}}, Permissions=["DESCRIBE"]),
             "InvalidInputException", "Resource.LFTagExpression"),
            (dict(Principal=alice, Resource={"LFTagPolicy": {"ResourceType": "TABLE", "ExpressionName": "saved"}},
                  Permissions=["SELECT"]), "InvalidInputException", "Resource.LFTagPolicy.ExpressionName"),
            (dict(Principal=alice, Resource={"LFTagPolicy": {"ResourceType": "TABLE", "Expression": [
                {"TagKey": "nokey", "TagValues": ["v"]}]}}, Permissions=["SELECT"]), "InvalidInputException",
             "nokey"),
            (dict(Principal=alice, Resource={"Table": {"DatabaseName": "hr", "Name": "employees",
                                                       "TableWildcard": {}}},
                  Permissions=["SELECT"]), "InvalidInputException", ["Resource.Table", "not both"]),
            (dict(Principal=alice, Resource={"DataLocation": {"ResourceArn": "arn:aws:s3:::lake/unregistered"}},
                  Permissions=["DATA_LOCATION_ACCESS"]), None, None),
            (dict(Principal=alice, Resource=table, Permissions=["SELECT"], Condition={"Expression": "x"}),
             "InvalidInputException", "Condition"),
            (dict(Principal=alice, Resource={"Database": {"Name": "hr", "CatalogId": "123456789012"}},
                  Permissions=["DESCRIBE"]), "EntityNotFoundException",
             ["123456789012", "Resource.Database.CatalogId"]),
            (dict(Principal=alice, Resource={"Database": {"Name": "hr", "CatalogId": "12"}}, Permissions=["DESCRIBE"]),
             "InvalidInputException", "Resource.Database.CatalogId"),
            (dict(CatalogId="123456789012", Principal=alice, Resource=table, Permissions=["SELECT"]),
             "EntityNotFoundException", "123456789012"),
            (dict(Principal=alice, Resource={"Database": {"Name": "missing_db"}}, Permissions=["DESCRIBE"]),
             "EntityNotFoundException", "missing_db"),
        ]
        for kwargs, code, contains in cases:
            if code is None:
                # A grant on a data location that is not registered is accepted (it applies once registered).
                self.lf.grant_permissions(**kwargs)
                self.lf.revoke_permissions(**kwargs)
                continue
            try:
                expect_error(lambda: self.lf.grant_permissions(**kwargs), code, contains, status=400)
            except AssertionError as err:
                raise AssertionError("%s: %s" % (json.dumps(kwargs), err))
        expect_error(lambda: self.lf.list_permissions(Resource={"TableWithColumns": {
            "DatabaseName": "hr", "Name": "employees", "ColumnNames": ["id"]}}), "InvalidInputException",
            "Resource.TableWithColumns")
        # Shapes botocore would refuse client-side, sent raw: missing and unknown members are named.
        status, headers, payload = self.raw("GrantPermissions", {"Resource": table, "Permissions": ["SELECT"]})
        assert status == 400 and headers.get("x-amzn-ErrorType") == "InvalidInputException", (status, payload)
        assert payload["Message"] == "Principal: is required", payload
        status, headers, payload = self.raw("GrantPermissions", {"Principal": alice, "Resource": table,
                                                                 "Permissions": ["SELECT"], "Colour": "red"})
        assert status == 400 and "Colour" in payload["Message"], payload
        status, headers, payload = self.raw("GrantPermissions", {"Principal": alice, "Resource": {
            "Database": {"Name": "hr"}, "Catalog": {}}, "Permissions": ["DESCRIBE"]})
        assert status == 400 and "exactly one member" in payload["Message"], payload
        status, headers, payload = self.raw("GrantPermissions", b"{not json")
        assert status == 400 and headers.get("x-amzn-ErrorType") == "InvalidInputException", (status, payload)
        status, headers, payload = self.raw("StartTransaction", {})
        assert status == 400 and "does not implement" in payload["Message"], payload
        assert self.alice_permissions() == []

    def raw(self, operation, body):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return cairn_testing.send(cairn_testing.signed(self.ep, "POST", "/" + operation, ADMIN_KEY, ADMIN_SECRET,
                                                       body=data, service="lakeformation", region=REGION))

    def authentication_errors(self):
        wrong = lf_client(self.ep, ADMIN_KEY, "not-the-secret-0123456789abcdef01234567")
        expect_error(lambda: wrong.list_permissions(), "InvalidSignatureException", status=403)
        unknown = lf_client(self.ep, "AKIAUNKNOWNKEY000000", ADMIN_SECRET)
        expect_error(lambda: unknown.list_permissions(), "UnrecognizedClientException", status=403)

    def aws_cli(self):
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "sales"}},
                                  Permissions=["DESCRIBE"])
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ADMIN_KEY, AWS_SECRET_ACCESS_KEY=ADMIN_SECRET,
                   AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        env.pop("AWS_PROFILE", None)
        env.pop("AWS_SESSION_TOKEN", None)
        aws = shutil.which("aws")
        assert aws, "the AWS CLI (aws) is not on PATH"
        result = subprocess.run(
            [aws, "lakeformation", "list-permissions", "--endpoint-url", self.ep, "--output", "json",
             "--principal", "DataLakePrincipalIdentifier=" + arn("user", "alice")],
            env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
        listed = json.loads(result.stdout)["PrincipalResourcePermissions"]
        assert [p["Resource"] for p in listed] == [{"Database": {"CatalogId": CATALOG, "Name": "sales"}}], listed
        failed = subprocess.run(
            [aws, "lakeformation", "get-lf-tag", "--endpoint-url", self.ep, "--tag-key", "no_such_tag"],
            env=env, capture_output=True, text=True, timeout=120)
        assert failed.returncode != 0 and "EntityNotFoundException" in failed.stderr, (failed.returncode, failed.stderr)
        self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource={"Database": {"Name": "sales"}},
                                   Permissions=["DESCRIBE"])

    def enforced_on_native_api(self):
        # Journey 3: SELECT on hr.employees excluding salary and phone_number, granted through Lake Formation.
        resource = {"TableWithColumns": {"DatabaseName": "hr", "Name": "employees",
                                         "ColumnWildcard": {"ExcludedColumnNames": ["salary", "phone_number"]}}}
        assert self.access(self.alice_native, "hr", "employees")[0] == 404
        self.lf.grant_permissions(Principal=principal("user", "alice"), Resource=resource, Permissions=["SELECT"])
        status, access = self.access(self.alice_native, "hr", "employees")
        assert status == 200, (status, access)
        assert [c["name"] for c in access["columns"]] == ["id", "name", "country"], access
        assert access["all_rows"] is True and sorted(access["permissions"]) == ["DESCRIBE", "SELECT"], access
        status, table = self.alice_native.call("GET", "/v1/databases/hr/tables/employees")
        names = [c["name"] for c in table["storage_descriptor"]["columns"]]
        assert status == 200 and names == ["id", "name", "country"], (status, table)
        # Granting to the group reaches its member; revoking through Lake Formation takes effect at once.
        self.lf.revoke_permissions(Principal=principal("user", "alice"), Resource=resource, Permissions=["SELECT"])
        assert self.access(self.alice_native, "hr", "employees")[0] == 404
        group_grant = {"TableWithColumns": {"DatabaseName": "hr", "Name": "employees", "ColumnNames": ["ID"]}}
        self.lf.grant_permissions(Principal=principal("group", "analysts"), Resource=group_grant,
                                  Permissions=["SELECT"])
        status, access = self.access(self.alice_native, "hr", "employees")
        assert status == 200 and [c["name"] for c in access["columns"]] == ["id"], (status, access)
        self.lf.revoke_permissions(Principal=principal("group", "analysts"), Resource=group_grant,
                                   Permissions=["SELECT"])
        assert self.access(self.alice_native, "hr", "employees")[0] == 404

    def reset(self):
        """Revokes every grant, so that a failed check leaves nothing behind for the next one."""
        token = None
        while True:
            page = self.lf.list_permissions(**({"NextToken": token} if token else {}))
            for p in page["PrincipalResourcePermissions"]:
                self.lf.revoke_permissions(Principal=p["Principal"], Resource=p["Resource"],
                                           Permissions=p["Permissions"])
            token = page.get("NextToken")
            if not token:
                return

    def checks(self):
        return [
            ("data lake settings", self.data_lake_settings),
            ("grant, list and revoke on every resource kind", self.grant_list_revoke_every_kind),
            ("IAM_ALLOWED_PRINCIPALS and groups", self.everyone_and_groups),
            ("list permissions: filters and paging", self.list_filters_and_paging),
            ("batch grant and revoke report failures per entry", self.batch_grant_and_revoke),
            ("revoking what is not held", self.revoke_not_held),
            ("LF-Tag lifecycle", self.lf_tag_lifecycle),
            ("LF-Tag assignment and inherited tags", self.lf_tag_assignment),
            ("data cells filters", self.data_cells_filters),
            ("registered resources", self.registered_resources),
            ("unprivileged caller", self.unprivileged_caller),
            ("bad input names the member", self.bad_input),
            ("authentication errors", self.authentication_errors),
            ("aws lakeformation CLI", self.aws_cli),
            ("a Lake Formation grant is enforced by the native API", self.enforced_on_native_api),
        ]


def run_store(binary, store):
    """Runs every check on one store; returns (passed, failed)."""
    return cairn_testing.run_suite_on_store(binary, store, Suite, ADMIN_KEY, ADMIN_SECRET, "lf")


if __name__ == "__main__":
    sys.exit(cairn_testing.main_over_stores(sys.argv, run_store))

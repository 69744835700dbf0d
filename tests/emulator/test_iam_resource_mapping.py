"""The resources an Athena or Glue read is authorised against (no emulator needed): AWS's Service
Authorization Reference scopes GetWorkGroup to the workgroup and GetTable to catalog, database and
table, so a policy narrowed to the platform's own workgroup and table must allow exactly those."""

from __future__ import annotations

from harness.emulator.iam.requests import Call, checks


def _call(service: str, operation: str, **params: str) -> Call:
    return Call(service, operation, params, "123456789012", "eu-central-1", "aws", True)


def test_get_work_group_is_authorised_on_the_workgroup() -> None:
    found = checks(_call("athena", "GetWorkGroup", WorkGroup="gxp-ml-features"))
    assert [(c.action, c.resource) for c in found] == [
        ("athena:GetWorkGroup", "arn:aws:athena:eu-central-1:123456789012:workgroup/gxp-ml-features")
    ]
    # calls without a mapping keep the default: reads against "*"
    assert [c.resource for c in checks(_call("athena", "ListWorkGroups"))] == ["*"]


def test_get_table_needs_catalog_database_and_table() -> None:
    found = checks(_call("glue", "GetTable", DatabaseName="gxp_ml_features", Name="gxp_ml_subjects"))
    prefix = "arn:aws:glue:eu-central-1:123456789012"
    assert [(c.action, c.resource) for c in found] == [
        ("glue:GetTable", f"{prefix}:catalog"),
        ("glue:GetTable", f"{prefix}:database/gxp_ml_features"),
        ("glue:GetTable", f"{prefix}:table/gxp_ml_features/gxp_ml_subjects"),
    ]
    assert [c.resource for c in checks(_call("glue", "GetDatabases"))] == ["*"]

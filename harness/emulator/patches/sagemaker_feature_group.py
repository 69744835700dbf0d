"""SageMaker Feature Store control plane: CreateFeatureGroup, Describe, Delete, List, tags.

moto: CreateFeatureGroup drops OnlineStoreConfig and Description, ignores the caller's
DataCatalogConfig (always ``sagemaker_featurestore``), resolves the offline store's S3 URI without
its ``sagemaker/`` segment, creates no Glue table, validates nothing; DescribeFeatureGroup of an
unknown group is a 500 (KeyError); DeleteFeatureGroup and ListFeatureGroups are not implemented
(500), and ListTags on a feature group ARN is a 500 — so ``aws_sagemaker_feature_group`` never
applies from Terraform.

AWS (CreateFeatureGroup / DescribeFeatureGroup / DeleteFeatureGroup / ListFeatureGroups):
- the record identifier and event time features must be among the FeatureDefinitions (types
  Integral, Fractional, String; the event time is String or Fractional), feature names are unique
  and not reserved (``is_deleted``, ``write_time``, ``api_invocation_time``): ValidationException;
- the offline store resolves to ``<S3Uri>/<account>/sagemaker/<region>/offline-store/<name>-<epoch>/data``;
  unless ``DisableGlueTableCreation``, SageMaker creates the Glue table (the caller's
  DataCatalogConfig, else ``sagemaker_featurestore.<name>_<epoch>``): the feature columns plus
  ``write_time``, ``api_invocation_time`` and ``is_deleted``, Parquet, located at the resolved URI;
- Describe returns OnlineStoreConfig (with its KMS key), OfflineStoreConfig, OfflineStoreStatus,
  FeatureGroupStatus; an unknown group is ResourceNotFound;
- DeleteFeatureGroup removes the group and its online store; the offline data and the Glue table
  stay (AWS keeps them).
The records themselves (sagemaker-featurestore-runtime) live in ``harness.emulator.runtime.featurestore``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from ._util import add, replace

TYPES = ("Integral", "Fractional", "String")
#: Called with (account, region, group name) when a group is deleted; the records' data plane
#: (``harness.emulator.runtime.featurestore``) registers itself here, so this module imports nothing of it.
ON_DELETE: list[Callable[[str, str, str], None]] = []
RESERVED = ("is_deleted", "write_time", "api_invocation_time")
GLUE_TYPES = {"Integral": "bigint", "Fractional": "double", "String": "string"}
_NAME = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]){0,62}$")
_FEATURE = re.compile(r"^[a-zA-Z0-9]([-_a-zA-Z0-9]){0,63}$")


class FeatureGroup:
    """A feature group as SageMaker describes it (moto's tag lookups need ``arn`` and ``tags``)."""

    def __init__(self, account: str, region: str, params: dict[str, Any]) -> None:
        now = dt.datetime.now(dt.UTC)
        self.name: str = params["FeatureGroupName"]
        self.arn = f"arn:aws:sagemaker:{region}:{account}:feature-group/{self.name.lower()}"
        self.record_identifier: str = params["RecordIdentifierFeatureName"]
        self.event_time: str = params["EventTimeFeatureName"]
        self.definitions: list[dict[str, str]] = [
            {"FeatureName": d["FeatureName"], "FeatureType": d["FeatureType"]}
            for d in params["FeatureDefinitions"]
        ]
        self.types = {d["FeatureName"]: d["FeatureType"] for d in self.definitions}
        self.role_arn = params.get("RoleArn")
        self.description = params.get("Description")
        self.online_store_config = params.get("OnlineStoreConfig")
        self.offline_store_config = _resolve_offline(
            account, region, self.name, params.get("OfflineStoreConfig"), now
        )
        self.tags: list[dict[str, str]] = list(params.get("Tags") or [])
        self.creation_time = self.last_modified_time = now

    @property
    def online(self) -> bool:
        return bool((self.online_store_config or {}).get("EnableOnlineStore"))

    @property
    def resolved_offline_uri(self) -> str | None:
        if not self.offline_store_config:
            return None
        return self.offline_store_config["S3StorageConfig"]["ResolvedOutputS3Uri"]

    @property
    def offline_kms_key(self) -> str | None:
        if not self.offline_store_config:
            return None
        return self.offline_store_config["S3StorageConfig"].get("KmsKeyId")

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "FeatureGroupArn": self.arn,
            "FeatureGroupName": self.name,
            "RecordIdentifierFeatureName": self.record_identifier,
            "EventTimeFeatureName": self.event_time,
            "FeatureDefinitions": self.definitions,
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "ThroughputConfig": {"ThroughputMode": "OnDemand"},
            "FeatureGroupStatus": "Created",
        }
        if self.online_store_config:
            out["OnlineStoreConfig"] = self.online_store_config
        if self.offline_store_config:
            out["OfflineStoreConfig"] = self.offline_store_config
            out["OfflineStoreStatus"] = {"Status": "Active"}
        if self.role_arn:
            out["RoleArn"] = self.role_arn
        if self.description:
            out["Description"] = self.description
        return out

    def summary(self) -> dict[str, Any]:
        out = {
            "FeatureGroupName": self.name,
            "FeatureGroupArn": self.arn,
            "CreationTime": self.creation_time,
            "FeatureGroupStatus": "Created",
        }
        if self.offline_store_config:
            out["OfflineStoreStatus"] = {"Status": "Active"}
        return out


def _resolve_offline(
    account: str, region: str, name: str, config: dict[str, Any] | None, now: dt.datetime
) -> dict[str, Any] | None:
    if not config:
        return None
    config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()}
    storage = config["S3StorageConfig"]
    epoch = int(now.timestamp())
    storage["ResolvedOutputS3Uri"] = (
        f"{storage['S3Uri'].rstrip('/')}/{account}/sagemaker/{region}/offline-store/{name}-{epoch}/data"
    )
    if not config.get("DisableGlueTableCreation"):
        config.setdefault(
            "DataCatalogConfig",
            {
                "TableName": f"{name.replace('-', '_').lower()}_{epoch}",
                "Catalog": "AwsDataCatalog",
                "Database": "sagemaker_featurestore",
            },
        )
    config.setdefault("DisableGlueTableCreation", False)
    config.setdefault("TableFormat", "Glue")
    return config


def _validate(params: dict[str, Any]) -> None:
    from moto.sagemaker.exceptions import ValidationError

    name = params.get("FeatureGroupName") or ""
    if not _NAME.match(name):
        raise ValidationError(
            f"1 validation error detected: Value '{name}' at 'featureGroupName' failed to satisfy "
            "constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9]([-a-zA-Z0-9]){0,62}$"
        )
    definitions = params.get("FeatureDefinitions") or []
    if not definitions:
        raise ValidationError("FeatureDefinitions must contain at least one feature definition.")
    seen: set[str] = set()
    for d in definitions:
        fname, ftype = d.get("FeatureName", ""), d.get("FeatureType")
        if not _FEATURE.match(fname):
            raise ValidationError(f"Feature name '{fname}' does not satisfy the pattern {_FEATURE.pattern}.")
        if fname.lower() in RESERVED:
            raise ValidationError(
                f"Feature name '{fname}' is reserved: {', '.join(RESERVED)} cannot be used."
            )
        if fname.lower() in seen:
            raise ValidationError(f"Feature definitions contain a duplicate feature name '{fname}'.")
        seen.add(fname.lower())
        if ftype not in TYPES:
            raise ValidationError(
                f"Feature '{fname}' has an invalid FeatureType '{ftype}' (one of {', '.join(TYPES)})."
            )
    types = {d["FeatureName"]: d["FeatureType"] for d in definitions}
    for field in ("RecordIdentifierFeatureName", "EventTimeFeatureName"):
        if params.get(field) not in types:
            raise ValidationError(
                f"The {field} '{params.get(field)}' must be one of the group's feature definitions."
            )
    if types[params["RecordIdentifierFeatureName"]] not in ("Integral", "String"):
        raise ValidationError("The record identifier feature must be of type Integral or String.")
    if types[params["EventTimeFeatureName"]] not in ("Fractional", "String"):
        raise ValidationError("The event time feature must be of type Fractional or String.")
    online, offline = params.get("OnlineStoreConfig"), params.get("OfflineStoreConfig")
    if not (online or {}).get("EnableOnlineStore") and not offline:
        raise ValidationError("At least one of OnlineStoreConfig or OfflineStoreConfig must be enabled.")
    if offline and not str((offline.get("S3StorageConfig") or {}).get("S3Uri", "")).startswith("s3://"):
        raise ValidationError("OfflineStoreConfig.S3StorageConfig.S3Uri must be an s3:// URI.")


def _create_glue_table(account: str, region: str, group: FeatureGroup) -> None:
    """The table SageMaker creates for the offline store (columns, Parquet, location)."""
    from moto.glue.models import glue_backends
    from moto.sagemaker.exceptions import ValidationError

    config = group.offline_store_config or {}
    catalog = config.get("DataCatalogConfig")
    if config.get("DisableGlueTableCreation") or not catalog:
        return
    glue = glue_backends[account][region]
    database = catalog["Database"]
    if database == "sagemaker_featurestore" and database not in glue.databases:
        glue.create_database(database, {"Name": database}, tags={})
    if database not in glue.databases:
        raise ValidationError(f"The Glue database '{database}' of the DataCatalogConfig does not exist.")
    columns = [
        {"Name": d["FeatureName"].lower(), "Type": GLUE_TYPES[d["FeatureType"]]} for d in group.definitions
    ]
    columns += [
        {"Name": "write_time", "Type": "timestamp"},
        {"Name": "api_invocation_time", "Type": "timestamp"},
        {"Name": "is_deleted", "Type": "boolean"},
    ]
    table_input = {
        "Name": catalog["TableName"],
        "Description": f"Offline store of the SageMaker feature group {group.name}",
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "sagemaker_feature_group": group.name},
        "StorageDescriptor": {
            "Columns": columns,
            "Location": group.resolved_offline_uri,
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
                "Parameters": {"serialization.format": "1"},
            },
            "Compressed": False,
        },
    }
    glue.create_table(database, catalog["TableName"], table_input)


def find(backend: Any, name_or_arn: str) -> FeatureGroup | None:
    """The feature group ``name_or_arn`` of a SageMaker backend (None when there is none)."""
    name = name_or_arn.rsplit("/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn
    for group in backend.feature_groups.values():
        if isinstance(group, FeatureGroup) and group.name.lower() == name.lower():
            return group
    return None


def apply() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    def _get(self: Any, name: str) -> FeatureGroup:
        group = find(self, name)
        if group is None:
            raise ResourceNotFound(
                f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}"
            )
        return group

    def create_feature_group(self: Any, params: dict[str, Any]) -> str:
        _validate(params)
        if find(self, params["FeatureGroupName"]) is not None:
            raise ResourceInUseException(
                f"Resource Already Exists: FeatureGroup with name {params['FeatureGroupName']} "
                "already exists. Choose a different name."
            )
        group = FeatureGroup(self.account_id, self.region_name, params)
        _create_glue_table(self.account_id, self.region_name, group)
        self.feature_groups[group.arn] = group
        return group.arn

    def describe_feature_group(self: Any, feature_group_name: str) -> dict[str, Any]:
        return _get(self, feature_group_name).describe()

    def delete_feature_group(self: Any, feature_group_name: str) -> None:
        group = _get(self, feature_group_name)
        del self.feature_groups[group.arn]
        for forget in ON_DELETE:  # the data plane drops the group's online store
            forget(self.account_id, self.region_name, group.name)

    def list_feature_groups(self: Any) -> list[dict[str, Any]]:
        groups = [g for g in self.feature_groups.values() if isinstance(g, FeatureGroup)]
        return [g.summary() for g in sorted(groups, key=lambda g: g.creation_time, reverse=True)]

    add(SageMakerModelBackend, "create_feature_group_from_request", create_feature_group)
    replace(SageMakerModelBackend, "describe_feature_group", lambda _o: describe_feature_group)
    add(SageMakerModelBackend, "delete_feature_group", delete_feature_group)
    add(SageMakerModelBackend, "list_feature_groups", list_feature_groups)

    def resource_from_arn_factory(original: Any) -> Any:
        def _get_resource_from_arn(self: Any, arn: str) -> Any:
            if ":feature-group/" in arn:
                return _get(self, arn)
            return original(self, arn)

        return _get_resource_from_arn

    replace(SageMakerModelBackend, "_get_resource_from_arn", resource_from_arn_factory)

    fields = (
        "FeatureGroupName",
        "RecordIdentifierFeatureName",
        "EventTimeFeatureName",
        "FeatureDefinitions",
        "OnlineStoreConfig",
        "OfflineStoreConfig",
        "ThroughputConfig",
        "RoleArn",
        "Description",
        "Tags",
    )

    def create_response(self: Any) -> Any:
        params = {f: self._get_param(f) for f in fields if self._get_param(f) is not None}
        return ActionResult(
            {"FeatureGroupArn": self.sagemaker_backend.create_feature_group_from_request(params)}
        )

    def delete_response(self: Any) -> Any:
        self.sagemaker_backend.delete_feature_group(self._get_param("FeatureGroupName"))
        return EmptyResult()

    def list_response(self: Any) -> Any:
        summaries = self.sagemaker_backend.list_feature_groups()
        return ActionResult({"FeatureGroupSummaries": summaries})

    replace(SageMakerResponse, "create_feature_group", lambda _o: create_response)
    add(SageMakerResponse, "delete_feature_group", delete_response)
    add(SageMakerResponse, "list_feature_groups", list_response)

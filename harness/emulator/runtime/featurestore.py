"""sagemaker-featurestore-runtime: PutRecord, GetRecord, BatchGetRecord, DeleteRecord, and the offline store.

moto has no Feature Store data plane at all. Here, mounted on the front router ahead of moto:

- ``PUT /FeatureGroup/<name>`` (PutRecord), ``GET /FeatureGroup/<name>`` (GetRecord),
  ``DELETE /FeatureGroup/<name>`` (DeleteRecord), ``POST /BatchGetRecord`` (BatchGetRecord), with
  AWS's validation and error shapes (``x-amzn-ErrorType`` + ``{"message": ...}``): an unknown group
  is 404 ``ResourceNotFound``; a record without the record identifier or the event time, a value
  that is not of its feature's type (Integral: a 64-bit integer, Fractional: a finite number), an
  event time that is neither ISO 8601 (``yyyy-MM-ddTHH:mm:ss[.SSS]Z``) nor, for a Fractional event
  time, epoch seconds, an unknown feature name or a feature given twice is 400 ``ValidationError``
  naming the problem; nothing is stored when a record is refused.
- The online store keeps, per record identifier, the record with the latest event time (a put with
  an older event time reaches only the offline store, as in AWS); GetRecord of an absent record
  answers 200 without ``Record``. SoftDelete hides the record online and writes a row with
  ``is_deleted = true`` offline; HardDelete removes it online.
- The offline store: every accepted put (and soft delete) is appended, and a flusher writes them,
  within about a second, as Parquet files under AWS's layout
  ``<ResolvedOutputS3Uri>/year=YYYY/month=MM/day=DD/hour=HH/<YYYYMMDDTHHMMSSZ>_<random>.parquet``
  (partitioned by event time) with the offline store's KMS key, columns = the feature definitions
  (Integral BIGINT, Fractional DOUBLE, String VARCHAR) plus ``write_time``, ``api_invocation_time``
  (TIMESTAMP, UTC) and ``is_deleted`` (BOOLEAN): the Glue table SageMaker created points at them.

Requests are not SigV4-verified; the access key and region pick the account and region, as moto does.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

from .backends import S3Uri, caller, put_object
from .invoke import request_id

DEFAULT_REGION = os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1"
PATH = re.compile(r"/FeatureGroup/([^/]+)")
BATCH_PATH = "/BatchGetRecord"
FLUSH_SECONDS = 0.5
INT64 = (-(2**63), 2**63 - 1)
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$")
SQL_TYPES = {"Integral": "BIGINT", "Fractional": "DOUBLE", "String": "VARCHAR"}


class FeatureStoreError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _validation(message: str) -> FeatureStoreError:
    return FeatureStoreError(400, "ValidationError", message)


@dataclass
class Store:
    """The online records and the offline rows not yet written, of one feature group."""

    online: dict[str, tuple[float, list[dict[str, str]]]] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)


_lock = threading.Lock()
_stores: dict[tuple[str, str, str], Store] = {}
_flusher: threading.Thread | None = None
_stop = threading.Event()


def forget(account: str, region: str, group_name: str) -> None:
    """DeleteFeatureGroup: the online store goes (rows already pending still reach the offline store)."""
    with _lock:
        store = _stores.get((account, region, group_name.lower()))
        if store is not None:
            store.online.clear()


def _register() -> None:
    from harness.emulator.patches import sagemaker_feature_group

    if forget not in sagemaker_feature_group.ON_DELETE:
        sagemaker_feature_group.ON_DELETE.append(forget)


_register()


def _group(account: str, region: str, name: str) -> Any:
    from moto.sagemaker.models import sagemaker_backends

    from harness.emulator.patches.sagemaker_feature_group import find

    group = find(sagemaker_backends[account][region], name)
    if group is None:
        raise FeatureStoreError(
            404,
            "ResourceNotFound",
            f"Resource Not Found: Amazon SageMaker can't find a FeatureGroup with name {name}",
        )
    return group


def _store(account: str, region: str, name: str) -> Store:
    key = (account, region, name.lower())
    store = _stores.get(key)
    if store is None:
        store = _stores.setdefault(key, Store())
    return store


# ----------------------------------------------------------------------------------------- validation


def parse_event_time(value: str, feature_type: str) -> float:
    """Seconds since the epoch of an event time as Feature Store accepts it."""
    if feature_type == "Fractional":
        try:
            seconds = float(value)
        except ValueError:
            raise _validation(
                f"EventTime value '{value}' is not a valid Fractional (seconds since epoch)"
            ) from None
        if not math.isfinite(seconds):
            raise _validation(f"EventTime value '{value}' is not a finite number")
        return seconds
    if not ISO.match(value):
        raise _validation(
            f"EventTime value '{value}' is not in an ISO 8601 format Feature Store accepts "
            "(yyyy-MM-dd'T'HH:mm:ssZ or yyyy-MM-dd'T'HH:mm:ss.SSSZ)"
        )
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _validation(f"EventTime value '{value}' is not a valid date and time") from None
    return parsed.timestamp()


def _typed(name: str, feature_type: str, value: str) -> Any:
    if feature_type == "String":
        return value
    if feature_type == "Integral":
        try:
            number = int(value)
        except ValueError:
            raise _validation(
                f"Value '{value}' of feature '{name}' is not a valid Integral (a 64-bit integer)"
            ) from None
        if not INT64[0] <= number <= INT64[1]:
            raise _validation(f"Value '{value}' of feature '{name}' is out of the Integral (64-bit) range")
        return number
    try:
        number = float(value)
    except ValueError:
        raise _validation(
            f"Value '{value}' of feature '{name}' is not a valid Fractional (a number)"
        ) from None
    if not math.isfinite(number):
        raise _validation(f"Value '{value}' of feature '{name}' is not a finite Fractional")
    return number


def validate_record(group: Any, record: Any) -> tuple[str, float, dict[str, Any]]:
    """``(identifier, event time in epoch seconds, typed values)`` of a record, or ValidationError."""
    if not isinstance(record, list) or not record:
        raise _validation("Record must be a non-empty list of FeatureName/ValueAsString pairs")
    values: dict[str, Any] = {}
    for item in record:
        if not isinstance(item, dict) or not isinstance(item.get("FeatureName"), str):
            raise _validation("Each feature of a Record needs a FeatureName and a ValueAsString")
        name = item["FeatureName"]
        if name not in group.types:
            raise _validation(
                f"Feature '{name}' is not defined in FeatureGroup '{group.name}' "
                f"(its features: {', '.join(group.types)})"
            )
        if name in values:
            raise _validation(f"Feature '{name}' appears more than once in the Record")
        value = item.get("ValueAsString")
        if not isinstance(value, str):
            raise _validation(f"Feature '{name}' has no ValueAsString")
        values[name] = _typed(name, group.types[name], value)
    for required, what in ((group.record_identifier, "RecordIdentifier"), (group.event_time, "EventTime")):
        if required not in values:
            raise _validation(
                f"Record is missing the {what} feature '{required}' of FeatureGroup '{group.name}'"
            )
    identifier = str(values[group.record_identifier])
    event_seconds = parse_event_time(str(values[group.event_time]), group.types[group.event_time])
    return identifier, event_seconds, values


# ----------------------------------------------------------------------------------------- operations


def put_record(account: str, region: str, name: str, body: dict[str, Any]) -> None:
    group = _group(account, region, name)
    identifier, event_seconds, values = validate_record(group, body.get("Record"))
    stores = body.get("TargetStores") or [
        s for s, on in (("OnlineStore", group.online), ("OfflineStore", group.offline_store_config)) if on
    ]
    for target in stores:
        if target not in ("OnlineStore", "OfflineStore"):
            raise _validation(f"TargetStores value '{target}' is not OnlineStore or OfflineStore")
        if target == "OnlineStore" and not group.online:
            raise _validation(f"FeatureGroup '{group.name}' has no OnlineStore")
        if target == "OfflineStore" and not group.offline_store_config:
            raise _validation(f"FeatureGroup '{group.name}' has no OfflineStore")
    now = dt.datetime.now(dt.UTC)
    with _lock:
        store = _store(account, region, group.name)
        if "OnlineStore" in stores:
            current = store.online.get(identifier)
            if current is None or event_seconds >= current[0]:
                store.online[identifier] = (event_seconds, list(body["Record"]))
        if "OfflineStore" in stores:
            store.pending.append(
                {"values": values, "event": event_seconds, "api_time": now, "deleted": False, "group": group}
            )
    _ensure_flusher()


def get_record(
    account: str, region: str, name: str, identifier: str, names: list[str] | None
) -> dict[str, Any]:
    group = _group(account, region, name)
    if not group.online:
        raise _validation(f"FeatureGroup '{group.name}' has no OnlineStore: GetRecord reads the online store")
    unknown = [n for n in names or [] if n not in group.types]
    if unknown:
        raise _validation(f"Feature(s) {', '.join(unknown)} not defined in FeatureGroup '{group.name}'")
    with _lock:
        found = _store(account, region, group.name).online.get(identifier)
    if found is None:
        return {}
    record = [f for f in found[1] if not names or f["FeatureName"] in names]
    return {"Record": record}


def delete_record(account: str, region: str, name: str, params: dict[str, list[str]]) -> None:
    group = _group(account, region, name)
    identifier = (params.get("RecordIdentifierValueAsString") or [None])[0]
    event_time = (params.get("EventTime") or [None])[0]
    if identifier is None or event_time is None:
        raise _validation("DeleteRecord needs RecordIdentifierValueAsString and EventTime")
    mode = (params.get("DeletionMode") or ["SoftDelete"])[0]
    if mode not in ("SoftDelete", "HardDelete"):
        raise _validation(f"DeletionMode '{mode}' is not SoftDelete or HardDelete")
    event_seconds = parse_event_time(event_time, group.types[group.event_time])
    stores = params.get("TargetStores") or [
        s for s, on in (("OnlineStore", group.online), ("OfflineStore", group.offline_store_config)) if on
    ]
    now = dt.datetime.now(dt.UTC)
    with _lock:
        store = _store(account, region, group.name)
        if "OnlineStore" in stores:
            store.online.pop(identifier, None)
        if "OfflineStore" in stores and group.offline_store_config:
            values = {
                group.record_identifier: _typed(
                    group.record_identifier, group.types[group.record_identifier], identifier
                ),
                group.event_time: _typed(group.event_time, group.types[group.event_time], event_time),
            }
            store.pending.append(
                {"values": values, "event": event_seconds, "api_time": now, "deleted": True, "group": group}
            )
    _ensure_flusher()


def batch_get_record(account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
    identifiers = body.get("Identifiers")
    if not isinstance(identifiers, list) or not identifiers:
        raise _validation("Identifiers must be a non-empty list")
    records, errors = [], []
    for ident in identifiers:
        name = ident.get("FeatureGroupName", "")
        names = ident.get("FeatureNames")
        for value in ident.get("RecordIdentifiersValueAsString") or []:
            try:
                answer = get_record(account, region, name, value, names)
            except FeatureStoreError as exc:
                errors.append(
                    {
                        "FeatureGroupName": name,
                        "RecordIdentifierValueAsString": value,
                        "ErrorCode": exc.code,
                        "ErrorMessage": exc.message,
                    }
                )
                continue
            if "Record" in answer:
                records.append(
                    {
                        "FeatureGroupName": name,
                        "RecordIdentifierValueAsString": value,
                        "Record": answer["Record"],
                    }
                )
    return {"Records": records, "Errors": errors, "UnprocessedIdentifiers": []}


# ----------------------------------------------------------------------------------------- offline store


def _ensure_flusher() -> None:
    global _flusher
    with _lock:
        if _flusher is None or not _flusher.is_alive():
            _stop.clear()
            _flusher = threading.Thread(target=_run, name="featurestore-offline", daemon=True)
            _flusher.start()


def _run() -> None:
    while not _stop.wait(FLUSH_SECONDS):
        flush()


def flush() -> int:
    """Write every pending offline row now; returns the number of files written."""
    with _lock:
        batches = [(key, store.pending) for key, store in _stores.items() if store.pending]
        for key, _rows in batches:
            _stores[key].pending = []
    written = 0
    for (account, _region, _name), rows in batches:
        by_partition: dict[tuple[Any, str], list[dict[str, Any]]] = {}
        for row in rows:
            when = dt.datetime.fromtimestamp(row["event"], dt.UTC)
            partition = f"year={when:%Y}/month={when:%m}/day={when:%d}/hour={when:%H}"
            by_partition.setdefault((id(row["group"]), partition), []).append(row)
        for (_gid, partition), part_rows in by_partition.items():
            group = part_rows[0]["group"]
            try:
                data = _parquet(group, part_rows)
                stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
                uri = S3Uri.parse(group.resolved_offline_uri).join(
                    partition, f"{stamp}_{secrets.token_hex(8)}.parquet"
                )
                put_object(account, uri, data, kms_key_id=group.offline_kms_key)
                written += 1
            except (
                Exception
            ):  # a deleted bucket must not kill the flusher; the rows are lost as in a failed write
                continue
    return written


def _parquet(group: Any, rows: list[dict[str, Any]]) -> bytes:
    import duckdb

    columns = [(name, SQL_TYPES[ftype]) for name, ftype in group.types.items()]
    columns += [("write_time", "TIMESTAMP"), ("api_invocation_time", "TIMESTAMP"), ("is_deleted", "BOOLEAN")]
    write_time = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    values = [
        [row["values"].get(name) for name, _ in columns[:-3]]
        + [write_time, row["api_time"].replace(tzinfo=None), row["deleted"]]
        for row in rows
    ]
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {t}' for n, t in columns) + ")")
        con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in columns) + ")", values)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "part.parquet")
            con.execute(f"COPY t TO '{path}' (FORMAT PARQUET)")
            with open(path, "rb") as fh:
                return fh.read()
    finally:
        con.close()


def shutdown() -> None:
    _stop.set()
    flush()


# ----------------------------------------------------------------------------------------- HTTP


def is_request(environ: dict[str, Any]) -> bool:
    path = environ.get("PATH_INFO", "")
    method = environ.get("REQUEST_METHOD")
    if path == BATCH_PATH:
        return method == "POST"
    return method in ("PUT", "GET", "DELETE") and PATH.fullmatch(path) is not None


def _answer(
    start_response: Callable[..., Any], status: int, payload: dict[str, Any], code: str | None = None
) -> Iterable[bytes]:
    body = json.dumps(payload).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", request_id()),
    ]
    if code:
        headers.append(("x-amzn-ErrorType", code))
    reasons = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}
    start_response(f"{status} {reasons.get(status, 'Error')}", headers)
    return [body]


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    account, region = caller(environ, DEFAULT_REGION)
    path = environ.get("PATH_INFO", "")
    method = environ["REQUEST_METHOD"]
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise _validation("The request body is not valid JSON") from None
        if path == BATCH_PATH:
            return _answer(start_response, 200, batch_get_record(account, region, body))
        name = unquote(PATH.fullmatch(path).group(1))  # type: ignore[union-attr]
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method == "PUT":
            put_record(account, region, name, body)
            return _answer(start_response, 200, {})
        if method == "GET":
            identifier = (params.get("RecordIdentifierValueAsString") or [None])[0]
            if identifier is None:
                raise _validation("GetRecord needs RecordIdentifierValueAsString")
            return _answer(
                start_response, 200, get_record(account, region, name, identifier, params.get("FeatureName"))
            )
        delete_record(account, region, name, params)
        return _answer(start_response, 200, {})
    except FeatureStoreError as exc:
        return _answer(start_response, exc.status, {"message": exc.message}, exc.code)

"""The subjects in SageMaker Feature Store, queried through Athena, as training data.

``make features`` ingests the synthetic subjects into the platform's feature group (PutRecord through
sagemaker-featurestore-runtime) and returns once every record is in both stores: online (read back
with BatchGetRecord) and offline (an Athena count over the offline store's Glue table). Training can
then take its data from an Athena query over the offline store (``make train SOURCE=features``): the
query's result object is hashed, split like the generated data and hashed per split, so the lineage
runs feature group -> query execution -> training data -> training job -> model.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import io
import json
import re
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.ml import dataset
from harness.progress import Progress
from harness.s3 import download
from harness.target import Target, aws_errors

RECORD_IDENTIFIER = "subject_id"
EVENT_TIME = "event_time"
BATCH_GET_LIMIT = 100  # BatchGetRecord's maximum identifiers per call
SUBJECT_PREFIX = "s"  # identifiers of the ingested subjects: s-0001, s-0002, ...


class FeatureStoreError(HarnessError):
    """Ingestion or a query over the feature store did not succeed."""


@dataclasses.dataclass
class QueryResult:
    """One Athena query execution and its results, as Athena answered them."""

    execution_id: str
    state: str
    reason: str | None
    output_location: str | None
    scanned_bytes: int
    columns: list[str]
    rows: list[list[str | None]]
    result_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"rows": len(self.rows)}


def _utc(moment: _dt.datetime | None = None) -> str:
    return (moment or _dt.datetime.now(_dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def subject_records(
    rows: int, seed: int, *, prefix: str = "s", event_time: str | None = None
) -> list[list[dict]]:
    """The generator's subjects as Feature Store records (identifier, event time, features, label)."""
    x, y = dataset.generate(rows, seed)
    when = event_time or _utc()
    width = len(str(rows))
    records = []
    for index, (features, label) in enumerate(zip(x, y, strict=True), start=1):
        age, prior, rate = features
        values = {
            RECORD_IDENTIFIER: f"{prefix}-{index:0{width}d}",
            EVENT_TIME: when,
            "age": str(int(age)),
            "prior_dropout": str(int(prior)),
            "missed_visit_rate": f"{float(rate):.3f}",
            dataset.LABEL_NAME: str(int(label)),
        }
        records.append([{"FeatureName": k, "ValueAsString": v} for k, v in values.items()])
    return records


def put_records(
    target: Target,
    group: str,
    records: Sequence[list[dict]],
    *,
    workers: int = 8,
    progress: Progress | None = None,
) -> None:
    """PutRecord each record (a few at a time); the first refusal stops the ingestion with its reason."""
    runtime = target.client("sagemaker-featurestore-runtime")
    step = max(1, len(records) // 10)
    with (
        aws_errors(target, doing=f"putting records into feature group {group}"),
        ThreadPoolExecutor(workers) as pool,
    ):
        futures = [pool.submit(runtime.put_record, FeatureGroupName=group, Record=r) for r in records]
        for done, future in enumerate(futures, start=1):
            future.result()
            if progress and (done % step == 0 or done == len(futures)):
                progress(f"  put {done}/{len(futures)} records")


def online_count(target: Target, group: str, identifiers: Sequence[str]) -> int:
    """How many of ``identifiers`` the online store answers (BatchGetRecord, 100 at a time)."""
    runtime = target.client("sagemaker-featurestore-runtime")
    found = 0
    for start in range(0, len(identifiers), BATCH_GET_LIMIT):
        chunk = list(identifiers[start : start + BATCH_GET_LIMIT])
        answer = runtime.batch_get_record(
            Identifiers=[{"FeatureGroupName": group, "RecordIdentifiersValueAsString": chunk}]
        )
        found += len(answer.get("Records", []))
    return found


def run_query(
    target: Target,
    outputs: Mapping[str, Any],
    sql: str,
    *,
    timeout: float = 120.0,
    result_configuration: Mapping[str, Any] | None = None,
) -> QueryResult:
    """Run ``sql`` in the platform's workgroup and database; wait for it (boto3 has no Athena waiter:
    polled from 50 ms, doubling to 1 s); read every result row."""
    athena = target.client("athena")
    with aws_errors(target, doing="running an Athena query over the feature store"):
        kwargs: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Database": outputs["glue_database_name"]},
            "WorkGroup": outputs["athena_workgroup_name"],
        }
        if result_configuration:
            kwargs["ResultConfiguration"] = dict(result_configuration)
        qid = athena.start_query_execution(**kwargs)["QueryExecutionId"]
        deadline = time.monotonic() + timeout
        delay = 0.05
        while True:
            execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
            state = execution["Status"]["State"]
            if state not in ("QUEUED", "RUNNING"):
                break
            if time.monotonic() > deadline:
                athena.stop_query_execution(QueryExecutionId=qid)
                raise FeatureStoreError(f"Athena query {qid} did not finish within {timeout:.0f}s (stopped)")
            time.sleep(delay)
            delay = min(1.0, delay * 2)
        result = QueryResult(
            execution_id=qid,
            state=state,
            reason=execution["Status"].get("StateChangeReason"),
            output_location=execution.get("ResultConfiguration", {}).get("OutputLocation"),
            scanned_bytes=int(execution.get("Statistics", {}).get("DataScannedInBytes", 0)),
            columns=[],
            rows=[],
        )
        if state != "SUCCEEDED":
            return result
        pages = athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid)
        table = [
            [cell.get("VarCharValue") for cell in row["Data"]]
            for page in pages
            for row in page["ResultSet"]["Rows"]
        ]
    result.columns = [str(c) for c in table[0]] if table else []
    result.rows = table[1:]
    return result


def count_offline(target: Target, outputs: Mapping[str, Any], where: str = "") -> int:
    """Distinct record identifiers in the offline store (Athena over the Glue table)."""
    sql = f'SELECT count(DISTINCT {RECORD_IDENTIFIER}) FROM "{outputs["glue_table_name"]}" {where}'.strip()
    result = run_query(target, outputs, sql)
    if result.state != "SUCCEEDED":
        raise FeatureStoreError(f"counting the offline store failed: {result.state} {result.reason}")
    return int(result.rows[0][0] or 0)


@dataclasses.dataclass
class Ingestion:
    feature_group: str
    records: int
    online: int
    offline: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def ingest(
    target: Target,
    outputs: Mapping[str, Any],
    *,
    rows: int,
    seed: int,
    progress: Progress,
    timeout: float = 180.0,
) -> Ingestion:
    """Put the subjects; return once all of them are in the online and the offline store."""
    group = outputs.get("feature_group_name")
    if not group:
        raise FeatureStoreError("the platform has no feature group", hint="run `make apply` first")
    start = time.monotonic()
    records = subject_records(rows, seed)
    identifiers = [r[0]["ValueAsString"] for r in records]
    progress(f"putting {len(records)} subjects (seed {seed}) into feature group {group}")
    put_records(target, group, records, progress=progress)
    progress(f"  put {len(records)} records in {time.monotonic() - start:.1f}s; waiting for both stores")
    deadline = time.monotonic() + timeout
    online = offline = 0
    where = f"WHERE {RECORD_IDENTIFIER} LIKE '{SUBJECT_PREFIX}-%'"
    while True:
        online = online_count(target, group, identifiers)
        offline = count_offline(target, outputs, where)
        progress(f"  online store {online}/{len(records)}, offline store {offline}/{len(records)}")
        if online >= len(records) and offline >= len(records):
            break
        if time.monotonic() > deadline:
            raise FeatureStoreError(
                f"after {timeout:.0f}s the online store holds {online} and the offline store {offline} of "
                f"{len(records)} records",
                hint="check the feature group's offline store configuration and the emulator log",
            )
        time.sleep(1.0)
    return Ingestion(group, len(records), online, offline, time.monotonic() - start)


def training_query(outputs: Mapping[str, Any], prefix: str = SUBJECT_PREFIX) -> str:
    """Each subject's latest record, without deleted ones, label first (AWS's offline store dedup pattern).

    Only the subjects whose identifier starts with ``prefix``: the ingested ones (``s-``), never the
    records a qualification suite puts to test the store."""
    if not re.fullmatch(r"[a-z0-9-]+", prefix):
        raise FeatureStoreError(f"subject prefix {prefix!r} must be lowercase letters, digits and hyphens")
    columns = ", ".join([dataset.LABEL_NAME, *dataset.FEATURE_NAMES])
    return (
        f"SELECT {columns} FROM (SELECT *, row_number() OVER (PARTITION BY {RECORD_IDENTIFIER} "
        f"ORDER BY {EVENT_TIME} DESC, api_invocation_time DESC) AS rn "
        f"FROM \"{outputs['glue_table_name']}\" WHERE {RECORD_IDENTIFIER} LIKE '{prefix}-%') "
        f"WHERE rn = 1 AND NOT is_deleted ORDER BY {RECORD_IDENTIFIER}"
    )


def training_dataset(
    target: Target,
    outputs: Mapping[str, Any],
    data_dir: Path,
    *,
    progress: Progress,
    prefix: str = SUBJECT_PREFIX,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Training splits built from an Athena query over the offline store.

    Returns ``(manifest, source)``: the manifest has the shape ``dataset.write_splits`` writes (so the
    upload and the lineage treat both sources alike), ``source`` names the feature group, the query,
    its execution id, its result object and that object's SHA-256."""
    sql = training_query(outputs, prefix)
    result = run_query(target, outputs, sql)
    if result.state != "SUCCEEDED":
        raise FeatureStoreError(f"the training query failed: {result.state}: {result.reason}")
    if len(result.rows) < dataset.MIN_ROWS:
        raise FeatureStoreError(
            f"the offline store gave {len(result.rows)} subjects; at least {dataset.MIN_ROWS} are needed",
            hint="run `make features` first",
        )
    body = download(target, result.output_location or "")
    result.result_sha256 = hashlib.sha256(body).hexdigest()
    progress(
        f"query {result.execution_id}: {len(result.rows)} subjects from {outputs['feature_group_name']} "
        f"(result {result.output_location}, sha256 {result.result_sha256[:12]}…)"
    )
    labels = [int(r[0] or 0) for r in result.rows]
    features = [[float(v or 0) for v in r[1:]] for r in result.rows]
    import numpy as np

    x, y = np.asarray(features, dtype=np.float64), np.asarray(labels, dtype=np.int64)
    splits: dict[str, Any] = {}
    start = 0
    for name, size in dataset.split_sizes(len(y)).items():
        part = slice(start, start + size)
        start += size
        path = dataset.write_csv(data_dir / name / f"{name}.csv", x[part], y[part])
        splits[name] = {
            "name": name,
            "path": f"{name}/{path.name}",
            "rows": size,
            "positives": int(y[part].sum()),
            "sha256": dataset.sha256_file(path),
        }
    source = {
        "kind": "athena",
        "feature_group": outputs["feature_group_name"],
        "database": outputs["glue_database_name"],
        "table": outputs["glue_table_name"],
        "workgroup": outputs["athena_workgroup_name"],
        "query": sql,
        "query_execution_id": result.execution_id,
        "result_uri": result.output_location,
        "result_sha256": result.result_sha256,
        "rows": len(result.rows),
    }
    manifest = {"rows": len(y), "seed": None, "source": source, "splits": splits}
    (data_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest, source


def format_rows(result: QueryResult) -> str:
    """A query's rows as a small text table (the CLI prints it)."""
    out = io.StringIO()
    out.write("\t".join(result.columns) + "\n")
    for row in result.rows:
        out.write("\t".join("" if v is None else v for v in row) + "\n")
    return out.getvalue()

"""Athena: StartQueryExecution really runs the SQL over the S3 data of the Glue tables.

moto: StartQueryExecution runs nothing; GetQueryResults answers canned rows (empty unless queued
through moto's API); the workgroup's enforced result configuration and bytes-scanned limit are
ignored; any query string is accepted.

AWS (StartQueryExecution / GetQueryExecution / GetQueryResults / StopQueryExecution /
ListQueryExecutions / BatchGetQueryExecution), as done here with DuckDB as the embedded engine:
- a query that does not parse is refused by StartQueryExecution with ``InvalidRequestException``
  (``AthenaErrorCode`` MALFORMED_QUERY) and no execution is created;
- the workgroup's result configuration applies; with ``EnforceWorkGroupConfiguration`` it overrides
  whatever the query asked for (output location and encryption); without any output location the
  call is refused;
- the query runs asynchronously (QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED) over the Glue
  Data Catalog: each table of the query's database (``QueryExecutionContext.Database``, else
  ``default``) or named ``database.table`` is read from its ``StorageDescriptor.Location`` in S3 in
  its format (Parquet, or delimited text with the table's columns);
- an error while running (unknown table or column, a type error) ends the execution FAILED with
  ``StateChangeReason`` and ``AthenaError``; scanning more than the workgroup's
  ``BytesScannedCutoffPerQuery`` ends it FAILED ("Bytes scanned limit was exceeded");
- results: ``<OutputLocation>/<QueryExecutionId>.csv`` (header row, every value quoted, NULL empty)
  and ``<id>.csv.metadata``, written with the configured encryption (SSE_KMS with its key, or SSE_S3);
  GetQueryResults answers the header row then the data rows as ``VarCharValue`` strings with
  ``ResultSetMetadata.ColumnInfo`` (Athena's type names), paginated by MaxResults (<= 1000)/NextToken,
  and refuses while the query is not SUCCEEDED; Statistics carry DataScannedInBytes and times.
Known difference: the engine is DuckDB, not Trino: SQL beyond the common ANSI subset may differ, and
the ``.metadata`` file is JSON (AWS writes a binary format that only Athena reads).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
import tempfile
import threading
import time
import uuid
from typing import Any

from ._util import replace

DEFAULT_DATABASE = "default"
ATHENA_TYPES = {
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "HUGEINT": "bigint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "VARCHAR": "varchar",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
}
GLUE_TO_DUCK = {
    "bigint": "BIGINT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "double": "DOUBLE",
    "float": "FLOAT",
    "boolean": "BOOLEAN",
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_IDENT = re.compile(r"^[a-z0-9_]+$")


def _invalid(message: str, code: str = "MALFORMED_QUERY") -> Exception:
    from moto.core.exceptions import JsonRESTError

    err = JsonRESTError("InvalidRequestException", message)
    err.description = json.dumps(
        {"__type": "InvalidRequestException", "Message": message, "AthenaErrorCode": code}
    )
    return err


class Query:
    """One query execution, as GetQueryExecution describes it."""

    def __init__(self, sql: str, context: dict[str, Any], workgroup: str, result: dict[str, Any]) -> None:
        self.id = str(uuid.uuid4())
        self.sql = sql
        self.context = context
        self.workgroup = workgroup
        self.result = result  # OutputLocation (the .csv) and EncryptionConfiguration
        self.state = "QUEUED"
        self.reason: str | None = None
        self.error: dict[str, Any] | None = None
        self.submitted = time.time()
        self.completed: float | None = None
        self.scanned = 0
        self.engine_ms = 0
        self.columns: list[dict[str, Any]] = []
        self.rows: list[list[str | None]] = []
        self.cancel = threading.Event()

    def describe(self) -> dict[str, Any]:
        status: dict[str, Any] = {"State": self.state, "SubmissionDateTime": self.submitted}
        if self.completed is not None:
            status["CompletionDateTime"] = self.completed
        if self.reason:
            status["StateChangeReason"] = self.reason
        if self.error:
            status["AthenaError"] = self.error
        total_ms = int(((self.completed or time.time()) - self.submitted) * 1000)
        return {
            "QueryExecutionId": self.id,
            "Query": self.sql,
            "StatementType": "DDL"
            if self.sql.lstrip().upper().startswith(("CREATE", "DROP", "ALTER"))
            else "DML",
            "ResultConfiguration": self.result,
            "QueryExecutionContext": self.context,
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": self.engine_ms,
                "DataScannedInBytes": self.scanned,
                "TotalExecutionTimeInMillis": total_ms,
                "QueryQueueTimeInMillis": 0,
                "ServicePreProcessingTimeInMillis": 0,
                "QueryPlanningTimeInMillis": 0,
                "ServiceProcessingTimeInMillis": 0,
            },
            "WorkGroup": self.workgroup,
            "EngineVersion": {
                "SelectedEngineVersion": "AUTO",
                "EffectiveEngineVersion": "Athena engine version 3",
            },
        }


def _queries(backend: Any) -> dict[str, Query]:
    store = getattr(backend, "_harness_queries", None)
    if store is None:
        store = backend._harness_queries = {}
    return store


def check_syntax(sql: str) -> None:
    """InvalidRequestException for a query DuckDB's parser refuses (one statement only)."""
    import duckdb

    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise _invalid(f"line 1:1: {str(exc).splitlines()[0]}") from None
    if len(statements) != 1:
        raise _invalid("Only one sql statement is allowed.")


def result_configuration(backend: Any, workgroup: str, asked: dict[str, Any] | None) -> dict[str, Any]:
    """The configuration a query runs with: the workgroup's when it is enforced, else the query's over it."""
    wg = backend.work_groups.get(workgroup)
    if wg is None:
        raise _invalid(f"WorkGroup {workgroup} is not found.", "INVALID_INPUT")
    config = wg.configuration or {}
    base = dict(config.get("ResultConfiguration") or {})
    enforced = config.get("EnforceWorkGroupConfiguration", True) and base
    chosen = base if enforced else {**base, **(asked or {})}
    if not chosen.get("OutputLocation"):
        raise _invalid(
            "No output location provided. An output location is required either through the Workgroup "
            "result configuration setting or as an API input.",
            "INVALID_INPUT",
        )
    return chosen


def _database_exists(account: str, region: str, database: str) -> bool:
    from moto.glue.models import glue_backends

    return database == DEFAULT_DATABASE or database in glue_backends[account][region].databases


def _tables(account: str, region: str, database: str) -> dict[str, Any]:
    from moto.glue.models import glue_backends

    glue = glue_backends[account][region]
    db = glue.databases.get(database)
    return dict(db.tables) if db is not None else {}


def _materialise(con: Any, account: str, region: str, database: str, name: str, table: Any, tmp: str) -> int:
    """A DuckDB view ``database.name`` over the table's S3 objects; returns the bytes it will scan."""
    from harness.emulator.runtime.backends import S3Error, S3Uri, list_objects

    desc = table.as_dict()
    sd = desc.get("StorageDescriptor", {})
    columns = [
        (c["Name"], GLUE_TO_DUCK.get(str(c["Type"]).lower(), "VARCHAR")) for c in sd.get("Columns", [])
    ]
    location = sd.get("Location")
    serde = (sd.get("SerdeInfo") or {}).get("SerializationLibrary", "")
    parquet = "parquet" in (serde + str(sd.get("InputFormat", ""))).lower()
    files: list[str] = []
    scanned = 0
    if location:
        try:
            objects = list_objects(account, S3Uri.parse(location.rstrip("/") + "/"))
        except S3Error:
            objects = []
        folder = os.path.join(tmp, database, name)
        os.makedirs(folder, exist_ok=True)
        for index, (key, data) in enumerate(objects):
            if parquet and not key.endswith(".parquet"):
                continue
            path = os.path.join(folder, f"{index:06d}" + (".parquet" if parquet else ".csv"))
            with open(path, "wb") as fh:
                fh.write(data)
            files.append(path)
            scanned += len(data)
    con.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
    cols_sql = ", ".join(f'"{c}" {t}' for c, t in columns) or '"_empty" VARCHAR'
    if not files:
        con.execute(f'CREATE TABLE "{database}"."{name}" ({cols_sql})')
        return 0
    file_list = "[" + ", ".join(f"'{f}'" for f in files) + "]"
    if parquet:
        select = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in columns) or "*"
        source = f"read_parquet({file_list}, union_by_name = true)"
    else:
        delimiter = ((sd.get("SerdeInfo") or {}).get("Parameters") or {}).get("field.delim", ",")
        spec = "{" + ", ".join(f"'{c}': '{t}'" for c, t in columns) + "}"
        select = "*"
        source = f"read_csv({file_list}, header = false, delim = '{delimiter}', columns = {spec})"
    con.execute(f'CREATE VIEW "{database}"."{name}" AS SELECT {select} FROM {source}')
    return scanned


def run(query: Query, account: str, region: str, cutoff: int | None) -> None:
    """Execute a query (in its own thread) and write its results."""
    import duckdb

    from harness.emulator.runtime.backends import S3Uri, put_object

    query.state = "RUNNING"
    started = time.time()
    try:
        database = (query.context or {}).get("Database") or DEFAULT_DATABASE
        con = duckdb.connect()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    referenced = con.get_table_names(query.sql, qualified=True)
                except Exception:
                    referenced = set()
                scanned = 0
                wanted: dict[tuple[str, str], None] = {}
                for ref in referenced:
                    parts = [p.strip('"') for p in ref.split(".")]
                    db, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (database, parts[-1])
                    wanted[(db.lower(), name.lower())] = None
                for db, name in wanted:
                    table = _tables(account, region, db).get(name)
                    if table is not None and _IDENT.match(db) and _IDENT.match(name):
                        scanned += _materialise(con, account, region, db, name, table, tmp)
                query.scanned = scanned
                if cutoff is not None and scanned > cutoff:
                    raise _Failed(
                        "Query cancelled! Bytes scanned limit was exceeded", "BYTES_SCANNED_LIMIT_EXCEEDED", 2
                    )
                if not _IDENT.match(database) or not _database_exists(account, region, database):
                    raise _Failed(f"SCHEMA_NOT_FOUND: line 1:1: Schema '{database}' does not exist", "", 2)
                con.execute(f'CREATE SCHEMA IF NOT EXISTS "{database}"')
                con.execute(f"SET search_path = '\"{database}\"'")
                if query.cancel.is_set():
                    raise _Cancelled()
                cursor = con.execute(query.sql)
                description = cursor.description or []
                rows = cursor.fetchall() if description else []
        finally:
            con.close()
        query.columns = [_column_info(name, str(type_code)) for name, type_code, *_ in description]
        query.rows = [[None if v is None else _text(v) for v in row] for row in rows]
        body = _csv([c["Name"] for c in query.columns], query.rows)
        out = S3Uri.parse(query.result["OutputLocation"])
        enc = query.result.get("EncryptionConfiguration") or {}
        key = enc.get("KmsKey") if enc.get("EncryptionOption") in ("SSE_KMS", "CSE_KMS") else None
        put_object(account, out, body, kms_key_id=key)
        metadata = json.dumps({"QueryExecutionId": query.id, "ColumnInfo": query.columns}).encode()
        put_object(account, S3Uri(out.bucket, out.key + ".metadata"), metadata, kms_key_id=key)
        query.state = "SUCCEEDED"
    except _Cancelled:
        query.state = "CANCELLED"
        query.reason = "Query was cancelled by the user"
    except _Failed as exc:
        query.state, query.reason = "FAILED", exc.reason
        query.error = {
            "ErrorCategory": exc.category,
            "ErrorType": 1000,
            "Retryable": False,
            "ErrorMessage": exc.reason,
        }
    except duckdb.Error as exc:
        kind = type(exc).__name__
        code = {"CatalogException": "TABLE_NOT_FOUND", "BinderException": "COLUMN_NOT_FOUND"}.get(
            kind, "GENERIC_USER_ERROR"
        )
        message = str(exc).splitlines()[0]
        query.state, query.reason = "FAILED", f"{code}: line 1:1: {message}"
        query.error = {
            "ErrorCategory": 2,
            "ErrorType": 1006,
            "Retryable": False,
            "ErrorMessage": query.reason,
        }
    except Exception as exc:  # an internal error is an AWS-side failure, never a success
        query.state, query.reason = "FAILED", f"INTERNAL_ERROR_QUERY_ENGINE: {type(exc).__name__}: {exc}"
        query.error = {"ErrorCategory": 1, "ErrorType": 401, "Retryable": True, "ErrorMessage": query.reason}
    finally:
        query.engine_ms = int((time.time() - started) * 1000)
        query.completed = time.time()


class _Failed(Exception):
    def __init__(self, reason: str, code: str, category: int) -> None:
        super().__init__(reason)
        self.reason, self.code, self.category = reason, code, category


class _Cancelled(Exception):
    pass


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return str(value)


def _column_info(name: str, duck_type: str) -> dict[str, Any]:
    athena = ATHENA_TYPES.get(
        duck_type.upper(), "varchar" if "CHAR" in duck_type.upper() else duck_type.lower()
    )
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": athena,
        "Precision": 0,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": athena == "varchar",
    }


def _csv(header: list[str], rows: list[list[str | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        # Athena writes NULL as an empty, unquoted field
        out.write(",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in row) + "\n")
    return out.getvalue().encode()


def apply() -> None:
    from moto.athena.responses import AthenaResponse

    def _backend(self: Any) -> Any:
        return self.athena_backend

    def start_query_execution(self: Any) -> str:
        backend = _backend(self)
        sql = self._get_param("QueryString") or ""
        workgroup = self._get_param("WorkGroup") or "primary"
        if workgroup == "primary" and "primary" not in backend.work_groups:
            backend.create_work_group("primary", {}, "", [])
        context = self._get_param("QueryExecutionContext") or {}
        config = result_configuration(backend, workgroup, self._get_param("ResultConfiguration"))
        check_syntax(sql)
        query = Query(sql, context, workgroup, {})
        location = config["OutputLocation"]
        query.result = {
            **{k: v for k, v in config.items() if k != "OutputLocation"},
            "OutputLocation": location.rstrip("/") + f"/{query.id}.csv",
        }
        cutoff = (backend.work_groups[workgroup].configuration or {}).get("BytesScannedCutoffPerQuery")
        _queries(backend)[query.id] = query
        threading.Thread(
            target=run,
            args=(query, backend.account_id, backend.region_name, cutoff),
            name=f"athena-{query.id[:8]}",
            daemon=True,
        ).start()
        return json.dumps({"QueryExecutionId": query.id})

    def _get(self: Any, exec_id: str) -> Query:
        query = _queries(_backend(self)).get(exec_id)
        if query is None:
            raise _invalid(f"QueryExecution {exec_id} was not found", "INVALID_INPUT")
        return query

    def get_query_execution(self: Any) -> str:
        return json.dumps({"QueryExecution": _get(self, self._get_param("QueryExecutionId")).describe()})

    def batch_get_query_execution(self: Any) -> str:
        found, missing = [], []
        for exec_id in self._get_param("QueryExecutionIds") or []:
            query = _queries(_backend(self)).get(exec_id)
            if query is None:
                missing.append(
                    {"QueryExecutionId": exec_id, "ErrorCode": "INVALID_INPUT", "ErrorMessage": "not found"}
                )
            else:
                found.append(query.describe())
        return json.dumps({"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing})

    def get_query_results(self: Any) -> str:
        query = _get(self, self._get_param("QueryExecutionId"))
        if query.state in ("QUEUED", "RUNNING"):
            raise _invalid(f"Query has not yet finished. Current state: {query.state}", "INVALID_INPUT")
        if query.state != "SUCCEEDED":
            raise _invalid(
                f"Query did not finish successfully. Final query state: {query.state}", "INVALID_INPUT"
            )
        limit = int(self._get_param("MaxResults") or 1000)
        if not 1 <= limit <= 1000:
            raise _invalid("MaxResults must be between 1 and 1000", "INVALID_INPUT")
        start = int(self._get_param("NextToken") or 0)
        table = [[c["Name"] for c in query.columns], *query.rows]
        page = table[start : start + limit]
        answer: dict[str, Any] = {
            "ResultSet": {
                "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in page],
                "ResultSetMetadata": {"ColumnInfo": query.columns},
            },
            "UpdateCount": 0,
        }
        if start + limit < len(table):
            answer["NextToken"] = str(start + limit)
        return json.dumps(answer)

    def stop_query_execution(self: Any) -> str:
        query = _get(self, self._get_param("QueryExecutionId"))
        query.cancel.set()
        if query.state in ("QUEUED", "RUNNING"):
            query.state, query.reason, query.completed = (
                "CANCELLED",
                "Query was cancelled by the user",
                time.time(),
            )
        return json.dumps({})

    def list_query_executions(self: Any) -> str:
        workgroup = self._get_param("WorkGroup") or "primary"
        ids = [
            q.id
            for q in sorted(_queries(_backend(self)).values(), key=lambda q: -q.submitted)
            if q.workgroup == workgroup
        ]
        return json.dumps({"QueryExecutionIds": ids})

    for name, func in (
        ("start_query_execution", start_query_execution),
        ("get_query_execution", get_query_execution),
        ("batch_get_query_execution", batch_get_query_execution),
        ("get_query_results", get_query_results),
        ("stop_query_execution", stop_query_execution),
        ("list_query_executions", list_query_executions),
    ):
        replace(AthenaResponse, name, lambda _o, f=func: f)

"""Endpoint data capture in SageMaker's format, written to moto's S3.

When the endpoint config's ``DataCaptureConfig.EnableCapture`` is true, a sample
(``InitialSamplingPercentage``) of invocations is recorded as one JSON line each::

    {"captureData": {"endpointInput": {"observedContentType": "application/json", "mode": "INPUT",
     "data": "...", "encoding": "JSON"}, "endpointOutput": {...}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2024-05-01T12:00:00.123Z"},
     "eventVersion": "0"}

``CaptureOptions`` choose Input and/or Output; ``CaptureContentTypeHeader`` lists the CSV and JSON
content types (others are base64). Records are buffered and written every ``FLUSH_SECONDS`` or
``FLUSH_RECORDS`` and on stop, to
``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl`` with SSE-KMS
(``KmsKeyId``) when given.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
import uuid
from typing import Any

from .backends import S3Uri, put_object

FLUSH_SECONDS = 1.0
FLUSH_RECORDS = 1000
DEFAULT_CSV = ("text/csv",)
DEFAULT_JSON = ("application/json",)


class DataCapture:
    def __init__(self, account: str, endpoint: str, config: dict[str, Any]) -> None:
        self.account = account
        self.endpoint = endpoint
        self.percentage = float(config.get("InitialSamplingPercentage", 100))
        self.destination = S3Uri.parse(config["DestinationS3Uri"])
        self.kms_key_id = config.get("KmsKeyId") or None
        modes = {str(o.get("CaptureMode", "")).lower() for o in config.get("CaptureOptions") or []}
        self.capture_input = "input" in modes or not modes
        self.capture_output = "output" in modes or not modes
        header = config.get("CaptureContentTypeHeader") or {}
        self.csv_types = tuple(t.lower() for t in header.get("CsvContentTypes") or DEFAULT_CSV)
        self.json_types = tuple(t.lower() for t in header.get("JsonContentTypes") or DEFAULT_JSON)
        self._lock = threading.Lock()
        self._buffers: dict[str, list[tuple[dt.datetime, str]]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"capture-{endpoint}", daemon=True)
        self._thread.start()

    @staticmethod
    def from_config(account: str, endpoint: str, config: dict[str, Any] | None) -> DataCapture | None:
        if not config or not config.get("EnableCapture", True) or not config.get("DestinationS3Uri"):
            return None
        return DataCapture(account, endpoint, config)

    def _encode(self, content_type: str, data: bytes) -> dict[str, str]:
        kind = content_type.split(";")[0].strip().lower()
        if kind in self.json_types or kind in self.csv_types:
            try:
                text = data.decode("utf-8")
                return {"data": text, "encoding": "JSON" if kind in self.json_types else "CSV"}
            except UnicodeDecodeError:
                pass
        return {"data": base64.b64encode(data).decode("ascii"), "encoding": "BASE64"}

    def record(
        self, variant: str, content_type: str, body: bytes, answer_type: str, answer: bytes, event_id: str
    ) -> None:
        if random.random() * 100 >= self.percentage:
            return
        now = dt.datetime.now(dt.UTC)
        data: dict[str, Any] = {}
        if self.capture_input:
            data["endpointInput"] = {
                "observedContentType": content_type,
                "mode": "INPUT",
                **self._encode(content_type, body),
            }
        if self.capture_output:
            data["endpointOutput"] = {
                "observedContentType": answer_type,
                "mode": "OUTPUT",
                **self._encode(answer_type, answer),
            }
        line = json.dumps(
            {
                "captureData": data,
                "eventMetadata": {
                    "eventId": event_id,
                    "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                },
                "eventVersion": "0",
            },
            separators=(",", ":"),
        )
        with self._lock:
            buffer = self._buffers.setdefault(variant, [])
            buffer.append((now, line))
            full = len(buffer) >= FLUSH_RECORDS
        if full:
            self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        with self._lock:
            buffers, self._buffers = self._buffers, {}
        for variant, records in buffers.items():
            if not records:
                continue
            first = records[0][0]
            name = f"{first:%M-%S}-{first.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
            key = self.destination.join(self.endpoint, variant, f"{first:%Y/%m/%d/%H}", name)
            data = "".join(line + "\n" for _, line in records).encode("utf-8")
            try:
                put_object(self.account, key, data, self.kms_key_id)
            except Exception as exc:  # a missing bucket drops the batch, as a failed delivery would
                print(f"data capture to {key} failed: {exc}", flush=True)

    def close(self) -> None:
        self._stop.set()
        self.flush()

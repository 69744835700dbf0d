"""Processing jobs that really run: CreateProcessingJob's container contract, locally.

One ``ProcessingRun`` per CreateProcessingJob, in a background thread (job status ``InProgress``):

1. Every ``ProcessingInputs[].S3Input`` (S3Prefix: every object under the prefix, keys relative to it;
   a single object's key gives its file name) is copied from S3 into its ``LocalPath`` under
   ``/opt/ml/processing/`` of the job's container layout (``<job>/`` stands for ``/opt/ml/``);
   ``/opt/ml/config/processingjobconfig.json`` (the request as SageMaker hands it to the container)
   and ``resourceconfig.json`` are written. The processing code ships as an input, as in AWS.
2. ``AppSpecification.ContainerEntrypoint`` + ``ContainerArguments`` run as a separate process:
   ``python``/``python3`` is the runtime's interpreter (the framework image's Python), every
   ``/opt/ml/...`` path in the command line and in ``Environment`` points into the layout, and
   ``Environment`` is the process's environment (no AWS credentials are handed in; with
   ``EnableNetworkIsolation`` a container has none in AWS either), with one OpenMP thread unless the
   host or ``Environment`` sets ``OMP_NUM_THREADS`` (``state.CONTAINER_THREADS``). stdout/stderr
   become log events of ``/aws/sagemaker/ProcessingJobs`` stream ``<job>/algo-1-<epoch>``.
3. Exit 0 -> every file under each output's ``LocalPath`` is uploaded to its ``S3Output.S3Uri``
   (SSE-KMS with ``ProcessingOutputConfig.KmsKeyId``) -> ``Completed``. A non-zero exit -> ``Failed``
   with ``FailureReason`` ``AlgorithmError: ...`` and ``ExitMessage`` from ``/opt/ml/output/message``
   (first 1024 characters, as SageMaker reads it). ``MaxRuntimeInSeconds`` exceeded or
   StopProcessingJob -> the process is killed, ``Stopping`` -> ``Stopped``.

``NetworkConfig`` (VPC, network isolation, inter-container encryption), ``ProcessingResources``
(instance, volume KMS key), ``Environment`` and ``StoppingCondition`` are kept and described back.

Not emulated: an image's own entry point (a job without ``ContainerEntrypoint`` fails and says so),
``DatasetDefinition`` inputs, ``ManifestFile`` and Gzip-compressed inputs, ``Continuous`` upload mode
(uploaded at the end, as ``EndOfJob``), several instances.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from . import state
from .backends import LOGS, S3Error, S3Uri, download_prefix, put_object
from .jobs import CONTAINER_ROOT, FAILURE_CHARS, ContainerJob, JobError, now

PROCESSING_ROOT = "/opt/ml/processing/"
PYTHONS = {"python", "python3", "/usr/bin/python3", "/usr/local/bin/python3", "/usr/bin/python"}


def validate_request(inputs: list[dict[str, Any]], outputs: dict[str, Any] | None) -> str | None:
    """The request checks SageMaker makes at CreateProcessingJob (a message, or None when valid)."""
    names: set[str] = set()
    items = [(i.get("InputName"), (i.get("S3Input") or {}).get("LocalPath")) for i in inputs or []]
    items += [
        (o.get("OutputName"), (o.get("S3Output") or {}).get("LocalPath"))
        for o in (outputs or {}).get("Outputs") or []
    ]
    for name, local in items:
        if name in names:
            return f"ProcessingInput/ProcessingOutput names must be unique: {name} is repeated"
        names.add(str(name))
        if local is not None and not str(local).startswith(PROCESSING_ROOT):
            return (
                f"LocalPath {local} of {name} is invalid: local paths must be absolute paths "
                f"under {PROCESSING_ROOT.rstrip('/')}"
            )
    return None


class ProcessingRun(ContainerJob):
    kind = "processing"
    log_group = "/aws/sagemaker/ProcessingJobs"

    def __init__(self, account: str, region: str, job: Any) -> None:
        super().__init__(account, region, job, job.processing_job_name)

    def stop(self) -> None:
        """StopProcessingJob: Stopping now, Stopped once the process is gone."""
        self._set(processing_job_status="Stopping")
        self.kill()

    def _work(self) -> tuple[str, str]:
        self._layout()
        outcome, reason = self._execute()
        if outcome == "Completed":
            self._upload()
        return outcome, reason

    def _finish(self, outcome: str, reason: str) -> None:
        attrs: dict[str, Any] = {"processing_end_time": now(), "processing_job_status": outcome}
        message = self.root / "output" / "message"
        if message.is_file():
            attrs["exit_message"] = message.read_text(encoding="utf-8", errors="replace")[:FAILURE_CHARS]
        if outcome == "Failed":
            attrs["failure_reason"] = reason[:FAILURE_CHARS] or "InternalServerError: unknown error"
            self.log(attrs["failure_reason"])
        self._set(**attrs)
        LOGS.flush()
        self._remove_layout()

    def _map(self, value: str) -> str:
        """Container paths in a command line or variable -> the layout (``/opt/ml/`` prefixes only)."""
        return value.replace(CONTAINER_ROOT, str(self.root) + "/")

    def _layout(self) -> None:
        for sub in ("processing", "config", "output"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for item in self.job.processing_inputs or []:
            name = item.get("InputName")
            source = item.get("S3Input")
            if not source:
                raise JobError(f"ClientError: input {name}: only S3Input is supported by the local runtime")
            if source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise JobError(f"ClientError: input {name}: S3DataType {source['S3DataType']} unsupported")
            if source.get("S3CompressionType", "None") != "None":
                raise JobError(f"ClientError: input {name}: S3CompressionType {source['S3CompressionType']}")
            self._download(str(name), source["S3Uri"], self.local(source["LocalPath"]))
        for output in (self.job.processing_output_config or {}).get("Outputs") or []:
            local = (output.get("S3Output") or {}).get("LocalPath")
            if local:
                self.local(local).mkdir(parents=True, exist_ok=True)
        config = {
            "ProcessingJobArn": self.job.arn,
            "ProcessingJobName": self.name,
            "AppSpecification": self.job.app_specification,
            "Environment": self.job.environment or {},
            "NetworkConfig": self.job.network_config or {},
            "ProcessingInputs": self.job.processing_inputs or [],
            "ProcessingOutputConfig": self.job.processing_output_config or {},
            "ProcessingResources": self.job.processing_resources or {},
            "RoleArn": self.job.role_arn,
            "StoppingCondition": self.job.stopping_condition or {},
        }
        (self.root / "config" / "processingjobconfig.json").write_text(json.dumps(config, default=str))
        cluster = (self.job.processing_resources or {}).get("ClusterConfig") or {}
        (self.root / "config" / "resourceconfig.json").write_text(
            json.dumps(
                {
                    "current_host": "algo-1",
                    "current_instance_type": cluster.get("InstanceType", "ml.m5.xlarge"),
                    "hosts": ["algo-1"],
                }
            )
        )

    def _download(self, name: str, uri: str, target: Path) -> None:
        prefix = S3Uri.parse(uri)
        try:
            count = download_prefix(self.account, prefix, target, f"input {name}")
        except S3Error as exc:
            raise JobError(f"ClientError: {exc}") from None
        if not count:
            raise JobError(
                f"ClientError: Failed to download data. No objects found under S3 URL {uri} of input "
                f"{name}. Please ensure that the bucket exists in {self.region}, that objects exist under "
                f"that prefix, and that the role {self.job.role_arn} has s3:ListBucket and s3:GetObject."
            )
        self.log(f"Downloaded {count} object(s) for input {name} from {uri}")

    def _command(self) -> list[str]:
        spec = self.job.app_specification or {}
        entrypoint = list(spec.get("ContainerEntrypoint") or [])
        if not entrypoint:
            raise JobError(
                "ClientError: the local runtime runs AppSpecification.ContainerEntrypoint; the image's own "
                f"entry point ({spec.get('ImageUri')}) is not emulated"
            )
        if entrypoint[0] in PYTHONS:
            entrypoint[0] = sys.executable
        return [self._map(str(a)) for a in [*entrypoint, *(spec.get("ContainerArguments") or [])]]

    def _environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k
            in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "VIRTUAL_ENV", "OMP_NUM_THREADS")
        }
        env.update({k: self._map(str(v)) for k, v in (self.job.environment or {}).items()})
        env.update({"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"})
        return state.container_defaults(env)  # one OpenMP thread unless the host or the job sets it

    def _execute(self) -> tuple[str, str]:
        command = self._command()
        if self.stop_requested.is_set():
            return "Stopped", ""
        self.log(f"Running {' '.join(command)}")
        try:
            code = self._run_process(
                command, cwd=self.root / "processing", env=self._environment(), merge_stderr=True
            )
        except OSError as exc:
            raise JobError(f"ClientError: cannot start the container entry point: {exc}") from None
        if code is None:
            return "Stopped", ""
        if code == 0:
            return "Completed", ""
        return "Failed", f"AlgorithmError: See job logs for more information (exit code {code})"

    def _upload(self) -> None:
        config = self.job.processing_output_config or {}
        kms = config.get("KmsKeyId") or None
        for output in config.get("Outputs") or []:
            target = output.get("S3Output")
            if not target:
                raise JobError(f"ClientError: output {output.get('OutputName')}: only S3Output is supported")
            folder = self.local(target["LocalPath"])
            base = S3Uri.parse(target["S3Uri"])
            files = sorted(p for p in folder.rglob("*") if p.is_file())
            try:
                for path in files:
                    key = base.join(path.relative_to(folder).as_posix())
                    put_object(self.account, key, path.read_bytes(), kms)
            except S3Error as exc:
                name = output.get("OutputName")
                raise JobError(f"ClientError: Failed to upload output {name}: {exc}") from None
            self.log(f"Uploaded {len(files)} file(s) of output {output.get('OutputName')} to {base}")


def launch(account: str, region: str, job: Any) -> ProcessingRun:
    run = ProcessingRun(account, region, job)
    with state.lock:
        state.processing_runs[(account, region, run.name)] = run
    run.start()
    return run

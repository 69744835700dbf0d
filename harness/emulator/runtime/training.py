"""Training jobs that really train: the SageMaker XGBoost framework container in script mode, locally.

One ``TrainingContainer`` per CreateTrainingJob, in a background thread:

1. Starting -> Downloading: every channel's objects under its ``S3Prefix`` are copied from moto's S3
   into ``<job>/input/data/<channel>``; ``input/config/hyperparameters.json`` (the strings as given),
   ``inputdataconfig.json`` and ``resourceconfig.json`` are written.
2. Training: ``sagemaker_submit_directory`` (an ``s3://`` sourcedir.tar.gz, or a path inside the
   container layout such as ``/opt/ml/input/data/code/sourcedir.tar.gz``) is unpacked to
   ``<job>/code`` and ``sagemaker_program`` runs there as a separate process (``sys.executable``),
   with the ``SM_*`` variables of the training toolkit pointing into ``<job>`` and the other
   hyperparameters as ``--name value`` arguments, and one OpenMP thread unless the host sets
   ``OMP_NUM_THREADS`` (``state.CONTAINER_THREADS``: the same model, a fraction of the CPU).
   stdout/stderr become log events of ``/aws/sagemaker/TrainingJobs`` stream ``<job>/algo-1-<epoch>``;
   the job's MetricDefinitions are matched against stdout lines (tabs shown as ``#011``, as in
   CloudWatch).
3. Uploading -> Completed: ``<job>/model`` is tarred (deterministic) to
   ``<S3OutputPath>/<job>/output/model.tar.gz`` (SSE-KMS with OutputDataConfig.KmsKeyId), output data
   to ``output/output.tar.gz``. A non-zero exit -> Failed, FailureReason = first 1024 characters of
   ``<job>/output/failure``. MaxRuntimeInSeconds exceeded -> the process is killed, Stopped with
   SecondaryStatus MaxRuntimeExceeded; StopTrainingJob -> Stopping -> Stopped. The model folder is
   uploaded on a stop too when the program left something in it, as SageMaker does.

Without ``sagemaker_program``, an XGBoost image (``sagemaker-xgboost:<v>`` or ``xgboost:<v>``) runs in
algorithm mode: ``xgboost_algorithm.py train`` runs in the same layout, the job's MetricDefinitions
become the algorithm's, and its failure file is reported as ``AlgorithmError: <failure>``; any other
image without a program fails and says so.

Not emulated: ``ManifestFile``/``AugmentedManifestFile`` data sources, Pipe/FastFile input, several instances.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from . import state, xgboost_algorithm
from .archives import tar_folder, unpack
from .backends import LOGS, S3Error, S3Uri, download_prefix, get_object, put_object
from .jobs import CONTAINER_ROOT, FAILURE_CHARS, ContainerJob, JobError, now

NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)", re.IGNORECASE)
"""The number a metric's capture group starts with: the algorithm's ``(\\S+)`` also takes ``#011`` and the
next metric when several are on one line, and SageMaker still reports the value."""
ALGORITHM = Path(xgboost_algorithm.__file__).resolve()


def _decode(value: str) -> Any:
    """Script-mode hyperparameters are JSON-encoded by the SDK; plain strings pass through."""
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


class TrainingContainer(ContainerJob):
    kind = "training"
    log_group = "/aws/sagemaker/TrainingJobs"

    def __init__(self, account: str, region: str, job: Any) -> None:
        super().__init__(account, region, job, job.training_job_name)
        self.metric_values: dict[str, tuple[float, dt.datetime]] = {}
        spec = job.algorithm_specification or {}
        self.algorithm_version = (
            None
            if (job.hyper_parameters or {}).get("sagemaker_program")
            else xgboost_algorithm.image_version(spec.get("TrainingImage"))
        )
        if self.algorithm_version is not None:
            # a built-in algorithm's metrics are its own (DescribeTrainingJob lists them)
            spec["MetricDefinitions"] = xgboost_algorithm.metric_definitions()
        self.metric_defs = [
            (d["Name"], re.compile(d["Regex"]))
            for d in spec.get("MetricDefinitions") or []
            if d.get("Name") and d.get("Regex")
        ]

    # ------------------------------------------------------------------------------------ status

    def _transition(self, status: str, message: str) -> None:
        at = now()
        transitions = [dict(t) for t in self.job.secondary_status_transitions or []]
        if transitions and "EndTime" not in transitions[-1]:
            transitions[-1]["EndTime"] = at
        item = {"Status": status, "StartTime": at, "StatusMessage": message}
        if status in ("Completed", "Failed", "Stopped", "MaxRuntimeExceeded"):
            item["EndTime"] = at
        transitions.append(item)
        self._set(secondary_status=status, secondary_status_transitions=transitions)

    # ------------------------------------------------------------------------------------- control

    def stop(self) -> None:
        """StopTrainingJob."""
        self._set(training_job_status="Stopping")
        self._transition("Stopping", "Stopping the training job")
        self.stop_requested.set()
        self.kill()

    def _work(self) -> tuple[str, str]:
        self._transition("Downloading", "Downloading input data")
        self._layout()
        command, code_dir = self._command()
        self._transition("Training", "Training image download completed. Training in progress.")
        outcome, reason = self._execute(command, code_dir)
        if outcome == "Completed" or (outcome == "Stopped" and any((self.root / "model").iterdir())):
            self._transition("Uploading", "Uploading generated training model")
            self._upload()
        return outcome, reason

    def _finish(self, outcome: str, reason: str) -> None:
        end = now()
        secondary = "MaxRuntimeExceeded" if outcome == "Stopped" and self.timed_out else outcome
        messages = {
            "Completed": "Training job completed",
            "Failed": "Training job failed",
            "Stopped": "Training job stopped",
            "MaxRuntimeExceeded": "Training job exceeded MaxRuntimeInSeconds provided",
        }
        self._transition(secondary, messages[secondary])
        seconds = max(1, int((end - self.job.training_start_time).total_seconds()))
        attrs: dict[str, Any] = {
            "training_end_time": end,
            "training_time_in_seconds": seconds,
            "billable_time_in_seconds": seconds,
            "final_metric_data_list": [
                {"MetricName": name, "Value": value, "Timestamp": when}
                for name, (value, when) in self.metric_values.items()
            ],
        }
        if outcome == "Failed":
            attrs["failure_reason"] = reason[:FAILURE_CHARS] or "AlgorithmError: unknown error"
        if outcome == "Completed" or self._uploaded:
            attrs["model_artifacts"] = {"S3ModelArtifacts": str(self._artifact_uri)}
        attrs["training_job_status"] = outcome
        self._set(**attrs)
        if reason:
            self.log(reason)
        LOGS.flush()
        self._remove_layout()

    _uploaded = False

    @property
    def _artifact_uri(self) -> S3Uri:
        return S3Uri.parse(self.job.output_data_config["S3OutputPath"]).join(
            self.name, "output", "model.tar.gz"
        )

    def _layout(self) -> None:
        for sub in ("input/config", "input/data", "model", "output/data", "code"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        declared: dict[str, Any] = {}
        for channel in self.job.input_data_config or []:
            name = channel["ChannelName"]
            source = (channel.get("DataSource") or {}).get("S3DataSource")
            if not source:
                raise JobError(f"ClientError: channel {name}: only S3DataSource is supported locally")
            if source.get("S3DataType", "S3Prefix") != "S3Prefix":
                raise JobError(
                    f"ClientError: channel {name}: S3DataType {source['S3DataType']} is not supported"
                )
            self._download(name, source["S3Uri"])
            declared[name] = {
                "ContentType": channel.get("ContentType"),
                "TrainingInputMode": channel.get("InputMode")
                or self.job.algorithm_specification.get("TrainingInputMode", "File"),
                "S3DistributionType": source.get("S3DistributionType", "FullyReplicated"),
                "RecordWrapperType": channel.get("RecordWrapperType", "None"),
            }
            declared[name] = {k: v for k, v in declared[name].items() if v is not None}
        config = self.root / "input" / "config"
        (config / "hyperparameters.json").write_text(json.dumps(self.job.hyper_parameters or {}))
        (config / "inputdataconfig.json").write_text(json.dumps(declared))
        instance_type = (self.job.resource_config or {}).get("InstanceType", "ml.m5.xlarge")
        (config / "resourceconfig.json").write_text(
            json.dumps(
                {
                    "current_host": "algo-1",
                    "current_instance_type": instance_type,
                    "current_group_name": "homogeneousCluster",
                    "hosts": ["algo-1"],
                    "instance_groups": [
                        {
                            "instance_group_name": "homogeneousCluster",
                            "instance_type": instance_type,
                            "hosts": ["algo-1"],
                        }
                    ],
                    "network_interface_name": "eth0",
                }
            )
        )

    def _download(self, channel: str, uri: str) -> None:
        prefix = S3Uri.parse(uri)
        target = self.root / "input" / "data" / channel
        try:
            count = download_prefix(self.account, prefix, target, f"channel {channel}")
        except S3Error as exc:
            raise JobError(f"ClientError: {exc}") from None
        if not count:
            raise JobError(
                f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. Please '
                f"ensure that the bucket exists in the selected region ({self.region}), that objects exist "
                f'under that S3 prefix, and that the role "{self.job.role_arn}" has "s3:ListBucket" '
                f'permissions on bucket "{prefix.bucket}".'
            )
        self.log(f"Downloaded {count} object(s) for channel {channel} from {uri}")

    def _command(self) -> tuple[list[str], Path]:
        """The container's process: the algorithm, or the script mode program with its arguments."""
        if self.algorithm_version is not None:
            return [sys.executable, str(ALGORITHM), "train"], self.root
        program, code_dir = self._script()
        return [sys.executable, program, *self._arguments()], code_dir

    def _script(self) -> tuple[str, Path]:
        hp = self.job.hyper_parameters or {}
        program = _decode(hp.get("sagemaker_program", ""))
        submit = _decode(hp.get("sagemaker_submit_directory", ""))
        if not program or not submit:
            image = (self.job.algorithm_specification or {}).get("TrainingImage")
            raise JobError(
                f"AlgorithmError: image {image} without the sagemaker_program and sagemaker_submit_directory "
                "hyperparameters: the local runtime runs the SageMaker XGBoost image (sagemaker-xgboost or "
                "xgboost) in algorithm mode and script mode only"
            )
        if str(submit).startswith("s3://"):
            try:
                archive = get_object(self.account, S3Uri.parse(submit))
            except S3Error as exc:
                raise JobError(
                    f"ClientError: cannot download sagemaker_submit_directory {submit}: {exc}"
                ) from None
        elif str(submit).startswith(CONTAINER_ROOT):
            path = self.root / str(submit)[len(CONTAINER_ROOT) :]
            if not path.is_file():
                raise JobError(
                    f"ClientError: sagemaker_submit_directory {submit} does not exist in the container"
                )
            archive = path.read_bytes()
        else:
            raise JobError(f"ClientError: unsupported sagemaker_submit_directory {submit!r}")
        code_dir = self.root / "code"
        try:
            unpack(archive, code_dir)
        except Exception as exc:
            raise JobError(f"ClientError: cannot unpack {submit}: {exc}") from None
        if not (code_dir / program).is_file():
            raise JobError(f"ClientError: sagemaker_program {program} not found in {submit}")
        return str(program), code_dir

    def _environment(self, code_dir: Path) -> dict[str, str]:
        hp = {k: _decode(v) for k, v in (self.job.hyper_parameters or {}).items()}
        user_hp = {k: v for k, v in hp.items() if not k.startswith("sagemaker_")}
        channels = [c["ChannelName"] for c in self.job.input_data_config or []]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SM_", "PYTHONPATH", "AWS_"))}
        root = self.root
        env.update(
            {
                "PYTHONPATH": str(code_dir),
                "PYTHONUNBUFFERED": "1",
                "PYTHONDONTWRITEBYTECODE": "1",
                "SM_PREFIX": str(root),
                "SM_MODEL_DIR": str(root / "model"),
                "SM_INPUT_DIR": str(root / "input"),
                "SM_INPUT_CONFIG_DIR": str(root / "input" / "config"),
                "SM_INPUT_DATA_CONFIG": (root / "input" / "config" / "inputdataconfig.json").read_text(),
                "SM_OUTPUT_DIR": str(root / "output"),
                "SM_OUTPUT_DATA_DIR": str(root / "output" / "data"),
                "SM_FAILURE_FILE": str(root / "output" / "failure"),
                "SM_MODULE_DIR": str(code_dir),
                "SM_USER_ENTRY_POINT": str(hp.get("sagemaker_program")),
                "SM_HPS": json.dumps(user_hp),
                "SM_CHANNELS": json.dumps(channels),
                "SM_CURRENT_HOST": "algo-1",
                "SM_HOSTS": json.dumps(["algo-1"]),
                "SM_NUM_CPUS": str(os.cpu_count() or 1),
                "SM_NUM_GPUS": "0",
                "TRAINING_JOB_NAME": self.name,
            }
        )
        state.container_defaults(env)  # one OpenMP thread unless the host says otherwise
        for name in channels:
            env[f"SM_CHANNEL_{name.upper()}"] = str(root / "input" / "data" / name)
        for key, value in user_hp.items():
            env[f"SM_HP_{key.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        return env

    def _arguments(self) -> list[str]:
        args = []
        for key, raw in sorted((self.job.hyper_parameters or {}).items()):
            if key.startswith("sagemaker_"):
                continue
            value = _decode(raw)
            args += [f"--{key}", value if isinstance(value, str) else json.dumps(value)]
        return args

    def _execute(self, command: list[str], code_dir: Path) -> tuple[str, str]:
        if self.stop_requested.is_set():
            return "Stopped", ""
        if self.algorithm_version is None:
            self.log(f"Invoking script: {' '.join(command[1:])}")
        code = self._run_process(command, cwd=code_dir, env=self._environment(code_dir), merge_stderr=False)
        if code is None:
            return "Stopped", ""
        if code == 0:
            return "Completed", ""
        failure = self.root / "output" / "failure"
        if failure.is_file():
            reason = failure.read_text(encoding="utf-8", errors="replace")
            if self.algorithm_version is not None:
                reason = f"AlgorithmError: {reason}"
            reason = reason[:FAILURE_CHARS]
        else:
            command = " ".join(str(a) for a in self.proc.args)
            reason = f'AlgorithmError: ExecuteUserScriptError: Command "{command}" exit code {code}'
        return "Failed", reason

    def on_stdout(self, line: str) -> None:
        """The job's MetricDefinitions matched against the line as CloudWatch shows it."""
        if not self.metric_defs:
            return
        shown = line.replace("\t", "#011")
        for name, regex in self.metric_defs:
            match = regex.search(shown)
            number = NUMBER.match(match.group(1) or "") if match and match.groups() else None
            if number:
                self.metric_values[name] = (float(number.group(0)), now())

    def _upload(self) -> None:
        kms = (self.job.output_data_config or {}).get("KmsKeyId") or None
        put_object(self.account, self._artifact_uri, tar_folder(self.root / "model"), kms)
        self._uploaded = True
        output = S3Uri.parse(self.job.output_data_config["S3OutputPath"]).join(
            self.name, "output", "output.tar.gz"
        )
        put_object(self.account, output, tar_folder(self.root / "output" / "data"), kms)
        self.log(f"Uploaded model artifact to {self._artifact_uri}")


def launch(account: str, region: str, job: Any) -> TrainingContainer:
    run = TrainingContainer(account, region, job)
    with state.lock:
        state.training_runs[(account, region, run.name)] = run
    run.start()
    return run

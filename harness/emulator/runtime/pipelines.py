"""SageMaker Pipelines executions that really execute their definition (schema version 2020-12-01).

moto records StartPipelineExecution as ``Succeeded`` at once, runs nothing, and has neither
ListPipelineExecutionSteps nor StopPipelineExecution. Here one ``PipelineRun`` per execution walks the
definition in a background thread, as SageMaker does:

- **Parameters** (``String``/``Integer``/``Float``/``Boolean``): the execution's ``PipelineParameters``
  over each ``DefaultValue``; a name the definition does not declare is a ValidationException, and so
  is a parameter without default that is not given.
- **Order**: a step runs once every step it depends on has succeeded: its ``DependsOn`` plus every step
  its arguments reference (``{"Get": "Steps.<name>...."}``, ``Std:JsonGet`` property files). Steps listed
  under a Condition's ``IfSteps``/``ElseSteps`` run only on that branch (the others never start).
- **Values**: ``{"Get": "Parameters.X"}``, ``{"Get": "Execution.PipelineExecutionId"}`` (also
  ``PipelineExecutionArn``, ``PipelineName``, ``PipelineArn``, ``StartDateTime``, ``CurrentDateTime``),
  ``{"Get": "Steps.S.<Describe* response path>"}`` (lists of outputs / metrics indexed by their name,
  ``Outputs['train']``, ``FinalMetricDataList['validation:auc']``), ``{"Std:Join": {"On", "Values"}}``,
  ``{"Std:JsonGet": {"PropertyFile": {"Get": "Steps.S.PropertyFiles.F"}, "Path": "a.b[0].c"}}`` read from
  the step's output ``OutputName`` + ``FilePath`` in S3.
- **Steps**: ``Processing`` (CreateProcessingJob, job ``pipelines-<id>-<step>-<random>``), ``Training``
  (CreateTrainingJob), ``RegisterModel`` (CreateModelPackage), ``Condition`` (``Equals``,
  ``GreaterThan``, ``GreaterThanOrEqualTo``, ``LessThan``, ``LessThanOrEqualTo``, ``In``, ``Not``,
  ``Or``; all conditions must hold), ``Fail`` (``ErrorMessage``). Jobs go through the same runtime as
  direct API calls, so they really run.
- **Statuses**: execution ``Executing`` -> ``Succeeded`` / ``Failed`` (``FailureReason``) / ``Stopping``
  -> ``Stopped`` (StopPipelineExecution stops the running job); steps ``Executing`` -> ``Succeeded`` /
  ``Failed`` / ``Stopped`` with ``Metadata`` (``ProcessingJob``/``TrainingJob``/``RegisterModel``
  ``Arn``, ``Condition.Outcome``, ``Fail.ErrorMessage``), newest first in ListPipelineExecutionSteps.

Not emulated: caching (``CacheConfig``), retry policies, ``Lambda``/``Callback``/``Transform``/
``Tuning``/``EMR``/``QualityCheck`` steps (the step fails and says so), parallelism beyond one step at a
time (independent steps run one after the other), pipeline definitions in S3.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import inspect
import json
import re
import secrets
import threading
import time
from typing import Any

from . import state
from .backends import S3Error, S3Uri, get_object

TERMINAL_JOB = ("Completed", "Failed", "Stopped")
JOB_POLL_SECONDS = 0.25


class StepError(Exception):
    """Fails the step (and the execution) with this message."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _underscore(name: str) -> str:
    from moto.core.utils import camelcase_to_underscores

    return camelcase_to_underscores(name)


def call_backend(method: Any, request: dict[str, Any], **extra: Any) -> Any:
    """Call a moto backend method with an API request (CamelCase keys; missing ones are None)."""
    params = dict(inspect.signature(method).parameters)
    original = getattr(method, "__func__", method).__dict__.get("__harness_runtime_original__")
    if original is not None:  # a runtime hook taking **kwargs: the original names the arguments
        params = {**inspect.signature(original).parameters, **params}
    named = {n for n, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    kwargs: dict[str, Any] = {name: None for name in named if name != "self"}
    for key, value in request.items():
        name = _underscore(key)
        if name in named:
            kwargs[name] = value
        elif not any(p.kind == p.VAR_KEYWORD for p in params.values()):
            raise StepError(f"ValidationException: unsupported argument {key}")
        else:
            kwargs[name] = value
    kwargs.update(extra)
    return method(**kwargs)


def declared_parameters(definition: dict[str, Any], given: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The execution's parameter values, typed as declared (a ValueError names what is wrong)."""
    declared = {p["Name"]: p for p in definition.get("Parameters") or []}
    values: dict[str, Any] = {}
    for item in given or []:
        name = item.get("Name")
        if name not in declared:
            raise ValueError(f"Parameter '{name}' is not defined in the pipeline definition.")
        values[name] = item.get("Value")
    typed: dict[str, Any] = {}
    for name, spec in declared.items():
        raw = values.get(name, spec.get("DefaultValue"))
        if raw is None:
            raise ValueError(f"Parameter '{name}' has no default value and was not provided.")
        kind = spec.get("Type", "String")
        try:
            if kind == "Integer":
                typed[name] = int(raw)
            elif kind == "Float":
                typed[name] = float(raw)
            elif kind == "Boolean":
                typed[name] = raw if isinstance(raw, bool) else str(raw).lower() == "true"
            else:
                typed[name] = str(raw)
        except (TypeError, ValueError):
            raise ValueError(f"Parameter '{name}' value {raw!r} is not a valid {kind}.") from None
    return typed


def flatten_steps(
    steps: list[dict[str, Any]], owner: str | None = None
) -> dict[str, tuple[dict, str | None]]:
    """name -> (step, the Condition step whose branch holds it, or None for top-level steps)."""
    found: dict[str, tuple[dict[str, Any], str | None]] = {}
    for step in steps:
        name = step["Name"]
        if name in found:
            raise ValueError(f"Step name {name} is not unique in the pipeline definition.")
        found[name] = (step, owner)
        if step.get("Type") == "Condition":
            args = step.get("Arguments") or {}
            for branch in ("IfSteps", "ElseSteps"):
                for inner_name, value in flatten_steps(args.get(branch) or [], name).items():
                    if inner_name in found:
                        raise ValueError(f"Step name {inner_name} is not unique in the pipeline definition.")
                    found[inner_name] = value
    return found


def references(value: Any) -> set[str]:
    """Names of the steps a value refers to (``Get: Steps.<name>...``)."""
    found: set[str] = set()
    if isinstance(value, dict):
        get = value.get("Get")
        if isinstance(get, str) and get.startswith("Steps."):
            found.add(get.split(".")[1])
        for key, inner in value.items():
            if key not in ("IfSteps", "ElseSteps"):
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


_SEGMENT = re.compile(r"([A-Za-z0-9_]+)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


def _path_segments(path: str) -> list[str | int]:
    segments: list[str | int] = []
    for match in _SEGMENT.finditer(path):
        name, index, key, key2 = match.groups()
        if name is not None:
            segments.append(name)
        elif index is not None:
            segments.append(int(index))
        else:
            segments.append(key if key is not None else key2)
    return segments


_LIST_KEYS = ("OutputName", "InputName", "MetricName", "ChannelName", "Name", "Key")


def walk(data: Any, segments: list[str | int], where: str) -> Any:
    """Follow a property path through a Describe* response or a JSON document."""
    current = data
    for segment in segments:
        if isinstance(current, list):
            if isinstance(segment, int):
                if segment >= len(current):
                    raise StepError(f"{where}: index {segment} out of range")
                current = current[segment]
                continue
            match = [i for i in current if isinstance(i, dict) and segment in (i.get(k) for k in _LIST_KEYS)]
            if not match:
                raise StepError(f"{where}: no item named {segment!r}")
            current = match[0]
        elif isinstance(current, dict):
            if segment not in current:
                raise StepError(f"{where}: {segment!r} not found")
            current = current[segment]
        else:
            raise StepError(f"{where}: cannot follow {segment!r} into a {type(current).__name__}")
    return current


class PipelineRun:
    def __init__(
        self, backend: Any, pipeline: Any, execution: Any, definition: dict[str, Any], params: dict
    ) -> None:
        self.backend, self.pipeline, self.execution = backend, pipeline, execution
        self.account, self.region = backend.account_id, backend.region_name
        self.definition, self.parameters = definition, params
        self.execution_id = execution.arn.rsplit("/", 1)[-1]
        self.steps = flatten_steps(definition.get("Steps") or [])
        self.records: list[dict[str, Any]] = []
        self.properties: dict[str, dict[str, Any]] = {}
        self.skipped: set[str] = set()
        self.stop_requested = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"pipeline-{self.execution_id}", daemon=True)

    # -------------------------------------------------------------------------------------- status

    def _set(self, **attrs: Any) -> None:
        for key, value in attrs.items():
            setattr(self.execution, key, value)
        self.execution.last_modified_time = _now()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        """StopPipelineExecution: Stopping; the step waiting on a job stops it (``_job``), then Stopped."""
        self._set(pipeline_execution_status="Stopping")
        self.stop_requested.set()

    # ----------------------------------------------------------------------------------------- run

    def _run(self) -> None:
        failure = ""
        stopped = False
        try:
            done: set[str] = set()
            while True:
                if self.stop_requested.is_set():
                    stopped = True
                    break
                ready = self._next(done)
                if ready is None:
                    break
                outcome = self._execute(ready)
                if outcome == "Stopped":
                    stopped = True
                    break
                if outcome != "Succeeded":
                    failure = outcome
                    break
                done.add(ready)
        except Exception as exc:  # a defect here must still end the execution
            failure = f"InternalServerError: {type(exc).__name__}: {exc}"
        if stopped:
            self._set(pipeline_execution_status="Stopped")
        elif failure:
            self._set(pipeline_execution_status="Failed", pipeline_execution_failure_reason=failure[:1024])
        else:
            self._set(pipeline_execution_status="Succeeded")

    def _dependencies(self, name: str) -> set[str]:
        step, owner = self.steps[name]
        deps = set(step.get("DependsOn") or []) | references(step.get("Arguments"))
        if owner:
            deps.add(owner)
        return deps

    def _next(self, done: set[str]) -> str | None:
        started = {r["StepName"] for r in self.records}
        for name in self.steps:
            if name in started or name in self.skipped:
                continue
            deps = self._dependencies(name)
            unknown = deps - set(self.steps)
            if unknown:
                raise StepError(f"Step {name} depends on unknown step(s) {sorted(unknown)}")
            if deps & self.skipped:
                self.skipped.add(name)
                continue
            if deps <= done:
                return name
        return None

    def _execute(self, name: str) -> str:
        step, _owner = self.steps[name]
        record: dict[str, Any] = {
            "StepName": name,
            "StepDisplayName": step.get("DisplayName") or name,
            "StartTime": _now(),
            "StepStatus": "Executing",
            "AttemptCount": 1,
            "Metadata": {},
        }
        if step.get("Description"):
            record["StepDescription"] = step["Description"]
        self.records.append(record)
        kind = step.get("Type")
        handler = {
            "Processing": self._processing,
            "Training": self._training,
            "RegisterModel": self._register,
            "Condition": self._condition,
            "Fail": self._fail,
        }.get(str(kind))
        try:
            if handler is None:
                raise StepError(f"Step type {kind} is not supported by the local runtime")
            status = handler(name, step, record)
        except StepError as exc:
            status = "Failed"
            record["FailureReason"] = str(exc)[:1024]
        record["StepStatus"] = status
        record["EndTime"] = _now()
        self._set()
        if status == "Failed":
            return record.get("FailureReason") or f"Step {name} failed"
        return status

    # ------------------------------------------------------------------------------------- values

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"Get"}:
                return self._get(str(value["Get"]))
            if set(value) == {"Std:Join"}:
                spec = value["Std:Join"]
                return str(spec.get("On", "")).join(
                    self._text(self.resolve(v)) for v in spec.get("Values", [])
                )
            if set(value) == {"Std:JsonGet"}:
                return self._json_get(value["Std:JsonGet"])
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.datetime):
            return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return str(value)

    def _get(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        if head == "Parameters":
            if rest not in self.parameters:
                raise StepError(f"Parameter {rest} is not defined")
            return self.parameters[rest]
        if head == "Execution":
            values = {
                "PipelineExecutionId": self.execution_id,
                "PipelineExecutionArn": self.execution.arn,
                "PipelineName": self.pipeline.pipeline_name,
                "PipelineArn": self.pipeline.arn,
                "StartDateTime": self._text(self.execution.start_time),
                "CurrentDateTime": self._text(_now()),
            }
            if rest not in values:
                raise StepError(f"Execution variable {rest} does not exist")
            return values[rest]
        if head == "Steps":
            step, _, prop = rest.partition(".")
            if step not in self.properties:
                raise StepError(f"Step {step} has no properties (it did not run)")
            return walk(self.properties[step], _path_segments(prop), f"Steps.{step}")
        raise StepError(f"Cannot resolve {path}")

    def _json_get(self, spec: dict[str, Any]) -> Any:
        ref = (spec.get("PropertyFile") or {}).get("Get", "")
        match = re.fullmatch(r"Steps\.([^.]+)\.PropertyFiles\.([^.]+)", str(ref))
        if not match:
            raise StepError(f"Std:JsonGet: PropertyFile {ref!r} is not a step's property file")
        step_name, file_name = match.groups()
        step, _ = self.steps.get(step_name, ({}, None))
        files = {f.get("PropertyFileName"): f for f in step.get("PropertyFiles") or []}
        if file_name not in files:
            raise StepError(f"Std:JsonGet: step {step_name} declares no property file {file_name}")
        output_name, file_path = files[file_name]["OutputName"], files[file_name]["FilePath"]
        props = self.properties.get(step_name) or {}
        outputs = (props.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        base = [o["S3Output"]["S3Uri"] for o in outputs if o.get("OutputName") == output_name]
        if not base:
            raise StepError(f"Std:JsonGet: step {step_name} has no output {output_name}")
        try:
            document = json.loads(get_object(self.account, S3Uri.parse(base[0]).join(file_path)))
        except (S3Error, ValueError) as exc:
            raise StepError(f"Std:JsonGet: cannot read property file {file_name}: {exc}") from None
        return walk(document, _path_segments(self._text(self.resolve(spec.get("Path", "")))), file_name)

    # -------------------------------------------------------------------------------------- steps

    def _job_name(self, step: str) -> str:
        suffix = secrets.token_hex(5)
        head = f"pipelines-{self.execution_id}-"
        room = 63 - len(head) - len(suffix) - 1
        return f"{head}{re.sub(r'[^A-Za-z0-9-]', '-', step)[:room]}-{suffix}"

    def _job(self, kind: str, name: str, request: dict[str, Any], record: dict[str, Any]) -> str:
        """A Processing or Training step (``kind``: ``processing``/``training``): create the job from the
        step's resolved request, wait until it ends, keep its description for later steps' properties."""
        noun = kind.capitalize()
        job = self._job_name(name)
        create = getattr(self.backend, f"create_{kind}_job")
        try:
            created = call_backend(create, {**request, f"{noun}JobName": job})
        except StepError:
            raise
        except Exception as exc:
            raise StepError(f"Create{noun}Job: {getattr(exc, 'message', exc)}") from None
        record["Metadata"] = {f"{noun}Job": {"Arn": created.arn}}
        describe = getattr(self.backend, f"describe_{kind}_job")
        stopping = False
        while True:
            if self.stop_requested.is_set() and not stopping:
                # the one place a stop reaches the job: also when it came while the job was being created
                stopping = True
                with contextlib.suppress(Exception):  # already ended: nothing to stop
                    getattr(self.backend, f"stop_{kind}_job")(job)
            described = describe(job)
            if described.get(f"{noun}JobStatus") in TERMINAL_JOB:
                break
            time.sleep(JOB_POLL_SECONDS)
        self.properties[name] = described
        status = described.get(f"{noun}JobStatus")
        if status == "Completed":
            return "Succeeded"
        if status == "Stopped":
            return "Stopped"
        reason = described.get("FailureReason") or "no reason given"
        raise StepError(f"{noun} job {job} failed: {reason}")

    def _processing(self, name: str, step: dict[str, Any], record: dict[str, Any]) -> str:
        return self._job("processing", name, self.resolve(step.get("Arguments") or {}), record)

    def _training(self, name: str, step: dict[str, Any], record: dict[str, Any]) -> str:
        request = self.resolve(step.get("Arguments") or {})
        request["HyperParameters"] = {
            k: self._text(v) for k, v in (request.get("HyperParameters") or {}).items()
        }
        return self._job("training", name, request, record)

    def _register(self, name: str, step: dict[str, Any], record: dict[str, Any]) -> str:
        request = self.resolve(step.get("Arguments") or {})
        metadata = request.get("CustomerMetadataProperties")
        if metadata:
            request["CustomerMetadataProperties"] = {k: self._text(v) for k, v in metadata.items()}
        try:
            arn = call_backend(self.backend.create_model_package, request)
        except StepError:
            raise
        except Exception as exc:
            raise StepError(f"CreateModelPackage: {getattr(exc, 'message', exc)}") from None
        record["Metadata"] = {"RegisterModel": {"Arn": arn}}
        self.properties[name] = {"ModelPackageArn": arn}
        return "Succeeded"

    def _fail(self, name: str, step: dict[str, Any], record: dict[str, Any]) -> str:
        message = self._text(self.resolve((step.get("Arguments") or {}).get("ErrorMessage", "")))
        record["Metadata"] = {"Fail": {"ErrorMessage": message}}
        raise StepError(message or f"Fail step {name}")

    def _condition(self, name: str, step: dict[str, Any], record: dict[str, Any]) -> str:
        args = step.get("Arguments") or {}
        outcome = all(self._holds(c) for c in args.get("Conditions") or [])
        record["Metadata"] = {"Condition": {"Outcome": "True" if outcome else "False"}}
        self.properties[name] = {"Outcome": outcome}
        losing = args.get("ElseSteps" if outcome else "IfSteps") or []
        self.skipped |= {s["Name"] for s in losing}
        return "Succeeded"

    def _holds(self, condition: dict[str, Any]) -> bool:
        kind = condition.get("Type")
        if kind == "Not":
            return not self._holds(condition.get("Expression") or {})
        if kind == "Or":
            return any(self._holds(c) for c in condition.get("Conditions") or [])
        left = self.resolve(condition.get("LeftValue"))
        if kind == "In":
            return left in [self.resolve(v) for v in condition.get("RightValue") or []]
        right = self.resolve(condition.get("RightValue"))
        try:
            if kind == "Equals":
                return bool(left == right)
            if kind == "GreaterThan":
                return bool(float(left) > float(right))
            if kind == "GreaterThanOrEqualTo":
                return bool(float(left) >= float(right))
            if kind == "LessThan":
                return bool(float(left) < float(right))
            if kind == "LessThanOrEqualTo":
                return bool(float(left) <= float(right))
        except (TypeError, ValueError):
            raise StepError(f"Condition {kind}: cannot compare {left!r} with {right!r}") from None
        raise StepError(f"Condition type {kind} is not supported")


def launch(
    backend: Any, pipeline: Any, execution: Any, definition: dict[str, Any], params: dict
) -> PipelineRun:
    run = PipelineRun(backend, pipeline, execution, definition, params)
    with state.lock:
        state.pipeline_runs[execution.arn] = run
    run.start()
    return run

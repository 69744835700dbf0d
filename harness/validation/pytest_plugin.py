"""pytest plugin: records pytest-bdd scenarios, steps and evidence attachments into ``results.json``.

Enable it with ``-p harness.validation.pytest_plugin`` (or ``pytest_plugins = [...]`` in the
top-level ``conftest.py`` of the suites). Options:

``--evidence-dir DIR`` (env ``EVIDENCE_DIR``)
    where ``results.json`` is written at the end of the session; nothing is written without it.
``--requirements FILE`` (env ``URS_FILE``; default ``<rootdir>/features/requirements.yaml``)
    every requirement id in it is registered as a marker, so ``--strict-markers`` rejects a
    scenario tagged ``@URS_0l2``; the loaded set is copied into ``results.json``.

Step definitions that compare live resources attach what they compared::

    @then("key rotation is enabled")
    def rotation_enabled(kms, key_id, evidence):
        status = kms.get_key_rotation_status(KeyId=key_id)
        evidence.attach("GetKeyRotationStatus", status)
        assert status["KeyRotationEnabled"]

An attachment made while a step runs belongs to that step; one made before the first step (from a
fixture) or after the last belongs to the scenario.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from harness.validation.errors import RequirementsError
from harness.validation.recorder import Attachment, Recorder, ScenarioRecord, iso, utc_now
from harness.validation.requirements import DEFAULT_PATH, RequirementSet, load_requirements

ENV_EVIDENCE_DIR = "EVIDENCE_DIR"
ENV_REQUIREMENTS = "URS_FILE"

_RECORDER = pytest.StashKey[Recorder]()
_EVIDENCE_DIR = pytest.StashKey["Path | None"]()
_REQUIREMENTS = pytest.StashKey["RequirementSet | None"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("evidence", "qualification evidence (harness.validation)")
    group.addoption(
        "--evidence-dir",
        default=None,
        help=f"folder for results.json (default: ${ENV_EVIDENCE_DIR}; none: nothing is written)",
    )
    group.addoption(
        "--requirements",
        default=None,
        help=f"requirements file whose ids become markers (default: ${ENV_REQUIREMENTS} or {DEFAULT_PATH})",
    )


def _requirements(config: pytest.Config) -> RequirementSet | None:
    explicit = config.getoption("--requirements") or os.environ.get(ENV_REQUIREMENTS)
    path = Path(explicit) if explicit else Path(config.rootpath) / DEFAULT_PATH
    if not explicit and not path.exists():
        return None
    try:
        return load_requirements(path)
    except RequirementsError as exc:
        raise pytest.UsageError(str(exc)) from exc


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def pytest_configure(config: pytest.Config) -> None:
    requirements = _requirements(config)
    config.stash[_REQUIREMENTS] = requirements
    for req in requirements or ():
        config.addinivalue_line("markers", f"{req.id}: [{req.risk}] {req.statement}")
    config.addinivalue_line(
        "markers", "negative: the scenario proves that a control rejects what it must reject"
    )
    folder = config.getoption("--evidence-dir") or os.environ.get(ENV_EVIDENCE_DIR)
    config.stash[_EVIDENCE_DIR] = Path(folder).resolve() if folder else None
    recorder = Recorder(rootdir=Path(config.rootpath))
    recorder.meta = {
        "pytest": _version("pytest"),
        "pytest_bdd": _version("pytest-bdd"),
        "args": list(config.invocation_params.args),
        "requirements": requirements.to_dict() if requirements else None,
    }
    config.stash[_RECORDER] = recorder


def _recorder(config: pytest.Config) -> Recorder:
    return config.stash[_RECORDER]


def _example(item: Any) -> dict[str, Any]:
    callspec = getattr(item, "callspec", None)
    return dict(callspec.params.get("_pytest_bdd_example", {})) if callspec else {}


def _open(recorder: Recorder, item: Any, feature: Any, scenario: Any) -> ScenarioRecord:
    rule_tags = scenario.rule.tags if getattr(scenario, "rule", None) is not None else set()
    return recorder.open_scenario(
        item.nodeid,
        feature_name=feature.name,
        feature_file=feature.filename,
        scenario_name=scenario.name,
        line=scenario.line_number,
        tags=set(scenario.tags) | set(feature.tags) | set(rule_tags),
        steps=[(s.keyword, s.name, s.line_number) for s in scenario.steps],
        example=_example(item),
    )


def pytest_bdd_before_scenario(request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
    recorder = _recorder(request.config)
    recorder.begin_scenario(_open(recorder, request.node, feature, scenario))


def pytest_bdd_before_step(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, step_func: Callable[..., Any]
) -> None:
    record = _recorder(request.config).get(request.node.nodeid)
    if record is not None:
        record.step_for(step.keyword, step.name, step.line_number).begin()


def pytest_bdd_after_step(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Callable[..., Any],
    step_func_args: dict[str, Any],
) -> None:
    record = _recorder(request.config).get(request.node.nodeid)
    running = record.current_step() if record else None
    if running is not None:
        running.end("passed")


def _message(exception: BaseException) -> str:
    text = str(exception).strip()
    return f"{type(exception).__name__}: {text}" if text else type(exception).__name__


def pytest_bdd_step_error(
    request: pytest.FixtureRequest,
    feature: Any,
    scenario: Any,
    step: Any,
    step_func: Callable[..., Any],
    step_func_args: dict[str, Any],
    exception: Exception,
) -> None:
    record = _recorder(request.config).get(request.node.nodeid)
    running = record.current_step() if record else None
    if running is not None:
        running.end("failed", error=_message(exception))


def pytest_bdd_step_func_lookup_error(
    request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any, exception: Exception
) -> None:
    record = _recorder(request.config).get(request.node.nodeid)
    if record is not None:
        target = record.step_for(step.keyword, step.name, step.line_number)
        target.begin()
        target.end("failed", error=_message(exception))


def _longrepr(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])
    return report.longreprtext.strip()[-4000:]


def _open_from_item(recorder: Recorder, item: pytest.Item) -> ScenarioRecord | None:
    """A scenario that never started (setup failed or skipped): recorded from its template."""
    from pytest_bdd.scenario import scenario_wrapper_template_registry

    template = scenario_wrapper_template_registry.get(getattr(item, "obj", None))
    if template is None:
        return None
    scenario = template.render(_example(item))
    return _open(recorder, item, template.feature, scenario)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    recorder = _recorder(item.config)
    recorder.elapsed[item.nodeid] = recorder.elapsed.get(item.nodeid, 0.0) + (report.duration or 0.0)
    record = recorder.get(item.nodeid)
    if report.when == "setup" and not report.passed and record is None:
        record = _open_from_item(recorder, item)
        if record is not None:
            record.started = iso(utc_now())
            recorder.end_scenario(record, "skipped" if report.skipped else "error", _longrepr(report))
    elif report.when == "call" and record is not None:
        status = "passed" if report.passed else "skipped" if report.skipped else "failed"
        recorder.end_scenario(record, status, None if report.passed else _longrepr(report))
    elif report.when == "teardown" and report.failed and record is not None:
        record.status = "error"
        record.error = (record.error + "\n" if record.error else "") + "teardown: " + _longrepr(report)


class Evidence:
    """The ``evidence`` fixture: ``evidence.attach(name, data)`` stores JSON-able data with the step."""

    def __init__(self, recorder: Recorder, nodeid: str) -> None:
        self._recorder = recorder
        self._nodeid = nodeid
        self._pending: list[Attachment] = []

    def attach(self, name: str, data: Any) -> Attachment:
        """Record ``data`` (boto3 responses welcome: datetimes and bytes are converted) under ``name``."""
        if self._recorder.get(self._nodeid) is None:
            attachment = Attachment.make(name, data)
            self._pending.append(attachment)
            return attachment
        record = self._recorder.get(self._nodeid)
        if record is not None and self._pending:
            record.attachments.extend(self._pending)
            self._pending.clear()
        return self._recorder.attach(self._nodeid, name, data)

    def flush(self) -> None:
        record = self._recorder.get(self._nodeid)
        if record is not None and self._pending:
            record.attachments[:0] = self._pending
            self._pending.clear()


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> Generator[Evidence, None, None]:
    """Attach the live resource descriptions a step compared to the step (see the module docstring)."""
    ev = Evidence(_recorder(request.config), request.node.nodeid)
    yield ev
    ev.flush()


def pytest_report_header(config: pytest.Config) -> list[str]:
    folder = config.stash.get(_EVIDENCE_DIR, None)
    requirements = config.stash.get(_REQUIREMENTS, None)
    lines = [f"evidence: {folder or 'not written (no --evidence-dir)'}"]
    if requirements is not None:
        lines.append(f"requirements: {len(requirements)} from {requirements.origin}")
    return lines


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recorder = _recorder(session.config)
    recorder.meta["exit_status"] = int(exitstatus)
    recorder.finished = iso(utc_now())
    folder = session.config.stash.get(_EVIDENCE_DIR, None)
    if folder is not None:
        path = recorder.write(folder)
        recorder.meta["written"] = str(path)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    written = _recorder(config).meta.get("written")
    if written:
        terminalreporter.write_line(f"evidence: scenario results written to {written}")

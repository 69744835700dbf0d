"""Which STS identity runs each stage of the qualification, and how a suite process gets a session."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from harness import identity, qualify
from harness import target as targets
from harness.errors import TargetError
from harness.identity import Identity, IdentityError
from harness.progress import Recorder, StageStarted
from harness.provisioning import Layout

DEPLOYER = Identity(arn="arn:aws:iam::123456789012:user/deployer", account="123456789012", user_id="AID1")
ROLE = "arn:aws:iam::123456789012:role/gxp-ml-validation"
SESSION = {"AccessKeyId": "ASIAVALIDATION", "SecretAccessKey": "secret", "SessionToken": "token"}


def _target() -> targets.Target:
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return targets.Target("local", "eu-central-1", env, endpoint_url="https://127.0.0.1:1")


def _run(tmp_path: Path, messages: Recorder, outputs: dict[str, Any] | None) -> qualify.Run:
    run_dir = tmp_path / "evidence" / "20261201T030000Z-abc"
    run_dir.mkdir(parents=True)
    run = qualify.Run(
        target_name="local",
        layout=Layout(work=tmp_path),
        run_dir=run_dir,
        progress=messages,
        started="2026-12-01T03:00:00Z",
    )
    run.outputs = outputs
    return run


@pytest.fixture
def sts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Stand-in STS: the deployer is a user; assuming the validation role gives a session of it."""
    assumed: list[tuple[str, str, str]] = []

    def assume(target: targets.Target, role_arn: str, person: str, *, purpose: str) -> targets.Target:
        assumed.append((role_arn, person, purpose))
        name = identity.session_name(person)
        return dataclasses.replace(target, credentials=SESSION, source_identity=name)

    def caller(target: targets.Target) -> Identity:
        if target.credentials is None:
            return DEPLOYER
        session = target.source_identity
        return Identity(
            arn=f"arn:aws:sts::123456789012:assumed-role/gxp-ml-validation/{session}",
            account="123456789012",
            user_id=f"AROA1:{session}",
            session_name=session,
            source_identity=session,
        )

    monkeypatch.setattr(identity, "assume", assume)
    monkeypatch.setattr(identity, "caller", caller)
    return assumed


def _up(run: qualify.Run) -> qualify.Outcome:
    run.target = _target()
    run.executor = identity.caller(run.target)
    return True, "reached"


def test_each_stage_records_the_identity_it_ran_as(tmp_path: Path, sts: list) -> None:
    messages = Recorder()
    seen: dict[str, targets.Target | None] = {}

    def look(name: str) -> qualify.StageFn:
        def fn(run: qualify.Run) -> qualify.Outcome:
            seen[name] = run.acting
            return True, name

        return fn

    specs = (
        qualify.StageSpec("up", _up),
        qualify.StageSpec("apply", look("apply"), needs=("up",)),
        qualify.StageSpec("iq", look("iq"), needs=("apply",), suite=True, runs_as=qualify.VALIDATION),
        qualify.StageSpec("oq", look("oq"), needs=("apply",), suite=True),
        qualify.StageSpec("report", look("report"), runs_as=qualify.VALIDATION),
    )
    run = qualify.execute(_run(tmp_path, messages, {"validation_role_arn": ROLE}), specs)

    rows = {row["name"]: row for row in run.stage_table()}
    assert {name: row["status"] for name, row in rows.items()} == dict.fromkeys(rows, "passed")
    for name in ("up", "apply", "oq"):
        assert rows[name]["identity"]["arn"] == DEPLOYER.arn, name
        assert rows[name]["identity"]["runs_as"] == "deployer"
    session = "qualification-20261201T030000Z-abc"
    for name in ("iq", "report"):
        ident = rows[name]["identity"]
        assert ident["arn"] == f"arn:aws:sts::123456789012:assumed-role/gxp-ml-validation/{session}"
        assert ident["source_identity"] == session
        assert ident["runs_as"] == "validation" and ident["role_arn"] == ROLE
    # a fresh session per validation stage, carrying the run as the person
    assert sts == [(ROLE, session, "run iq"), (ROLE, session, "run report")]
    # the stage acted through the session; the deploying stages through the run's own target
    assert seen["iq"] is not None and seen["iq"].credentials == SESSION
    assert seen["apply"] is run.target and seen["oq"] is run.target
    assert run.acting is None  # only while a stage runs
    # the executor stays the identity that started the run
    assert run.executor == DEPLOYER
    # the progress line and the CLI table say it
    arn = f"arn:aws:sts::123456789012:assumed-role/gxp-ml-validation/{session}"
    started = {e.name: e for e in messages.of(StageStarted)}
    assert started["iq"].identity is not None and started["iq"].identity["arn"] == arn
    assert started["iq"].identity["source_identity"] == session and started["iq"].index == 3
    assert started["apply"].identity is not None and started["apply"].identity["arn"] == DEPLOYER.arn
    assert f"[3/5] iq as {arn} (source identity {session})" in messages.lines()
    assert f"as arn:aws:sts::123456789012:assumed-role/gxp-ml-validation/{session}" in run.table()


def test_without_a_validation_role_the_stage_says_it_ran_as_the_deployer(tmp_path: Path, sts: list) -> None:
    specs = (
        qualify.StageSpec("up", _up),
        qualify.StageSpec("iq", lambda run: (True, "ok"), needs=("up",), suite=True, runs_as="validation"),
    )
    run = qualify.execute(_run(tmp_path, Recorder(), {}), specs)
    ident = run.stage("iq").identity
    assert ident is not None and ident["arn"] == DEPLOYER.arn
    assert ident["note"] == "no validation role on this platform"
    assert sts == []


def test_a_refused_role_fails_a_suite_but_the_report_still_runs(
    tmp_path: Path, sts: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(target: targets.Target, role_arn: str, person: str, *, purpose: str) -> targets.Target:
        raise IdentityError(f"{person} could not assume {role_arn} to {purpose}: AccessDenied: no trust")

    monkeypatch.setattr(identity, "assume", refuse)
    ran: list[str] = []

    def fn(run: qualify.Run) -> qualify.Outcome:
        ran.append("x")
        return True, "ran"

    specs = (
        qualify.StageSpec("up", _up),
        qualify.StageSpec("iq", fn, needs=("up",), suite=True, runs_as=qualify.VALIDATION),
        qualify.StageSpec("report", fn, runs_as=qualify.VALIDATION),
    )
    run = qualify.execute(_run(tmp_path, Recorder(), {"validation_role_arn": ROLE}), specs)
    iq, rep = run.stage("iq"), run.stage("report")
    assert iq.status == "failed" and "AccessDenied" in iq.detail
    assert rep.status == "passed" and ran == ["x"]
    assert rep.identity is not None and rep.identity["arn"] == DEPLOYER.arn
    assert "validation role refused" in rep.identity["note"]


def test_a_child_process_takes_the_session_it_is_handed() -> None:
    session = dataclasses.replace(_target(), credentials=SESSION, source_identity="qualification-r1")
    env = session.credential_env()
    assert env["AWS_SESSION_TOKEN"] == "token" and env[targets.EXPLICIT_CREDENTIALS] == "1"
    child = targets.with_explicit_credentials(_target(), env)
    assert child.credentials == SESSION
    assert child.source_identity == "qualification-r1"
    assert child.env["AWS_ACCESS_KEY_ID"] == "ASIAVALIDATION"
    assert child.session().get_credentials().token == "token"
    # keys left in a shell do not redirect a run without the flag
    stray = {"AWS_ACCESS_KEY_ID": "AKIASHELL", "AWS_SECRET_ACCESS_KEY": "x", "AWS_SESSION_TOKEN": "y"}
    assert targets.with_explicit_credentials(_target(), stray).credentials is None
    with pytest.raises(TargetError, match="AWS_SESSION_TOKEN"):
        targets.with_explicit_credentials(_target(), {targets.EXPLICIT_CREDENTIALS: "1"})
    assert _target().credential_env() == {}


def test_a_suite_process_gets_the_session_or_keeps_the_callers_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, str]] = []

    class Proc:
        def __init__(self, command: list[str], **kwargs: Any) -> None:
            self.stdout: list[str] = []
            seen.append(kwargs["env"])

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(qualify.subprocess, "Popen", Proc)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "the-deployers-own")
    monkeypatch.setenv(targets.EXPLICIT_CREDENTIALS, "1")  # never inherited
    session = dataclasses.replace(_target(), credentials=SESSION, source_identity="qualification-r1")
    layout = Layout(work=tmp_path)
    qualify.run_suite("iq", tmp_path, layout, "local", print, credentials=session.credential_env())
    qualify.run_suite("oq", tmp_path, layout, "local", print)
    as_role, as_deployer = seen
    assert as_role["AWS_SESSION_TOKEN"] == "token" and as_role["AWS_ACCESS_KEY_ID"] == "ASIAVALIDATION"
    assert as_role[targets.SOURCE_IDENTITY] == "qualification-r1"
    assert as_deployer["AWS_SESSION_TOKEN"] == "the-deployers-own"
    assert targets.EXPLICIT_CREDENTIALS not in as_deployer

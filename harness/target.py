"""Where the platform lives: the embedded local AWS (default) or real AWS.

The target is chosen the way AWS tools choose it: by environment. For ``local`` that environment
aims Terraform, boto3 and the AWS CLI at the emulator (``AWS_ENDPOINT_URL``, its CA bundle,
path-style S3, dummy keys); for ``aws`` nothing is added and the normal credential chain applies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import botocore
import botocore.config
import botocore.exceptions
import botocore.loaders
import botocore.session

from harness.errors import HarnessError, TargetError, UsageError

TARGETS = ("local", "aws")
DEFAULT_REGION = "eu-central-1"
#: A parent hands an assumed role's session to a child process (a suite's pytest) through the standard
#: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN variables plus this flag: the child's
#: :func:`resolve` then uses them instead of the emulator's administrator keys. Without the flag, keys
#: left in a developer's shell never redirect a local run.
EXPLICIT_CREDENTIALS = "HARNESS_EXPLICIT_CREDENTIALS"
#: The session's person (STS SourceIdentity), which GetCallerIdentity does not return.
SOURCE_IDENTITY = "HARNESS_SOURCE_IDENTITY"
#: STS session credential -> the standard variable that carries it.
SESSION_VARIABLES = {
    "AccessKeyId": "AWS_ACCESS_KEY_ID",
    "SecretAccessKey": "AWS_SECRET_ACCESS_KEY",
    "SessionToken": "AWS_SESSION_TOKEN",
}


_MODELS = botocore.loaders.create_loader(os.environ.get("AWS_DATA_PATH"))
"""One loader of botocore's service models and endpoint rules for every session of the process: a new
session otherwise parses them again for its first client (0.2 s of CPU per client instead of 0.02 s; a
drift analysis spent 5 of its 7 s on it). Loaded models are read-only."""


def _botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _MODELS)
    return session


@dataclasses.dataclass
class Target:
    """A resolved target: its name, region and the environment that selects it."""

    name: str
    region: str
    env: dict[str, str]
    endpoint_url: str | None = None
    emulator: Any = None  # harness.emulator.control.EmulatorInfo on the local target
    #: Temporary credentials of an assumed role (``harness.identity.assume``); None: the target's own.
    credentials: Mapping[str, str] | None = None
    #: The person carried by an assumed session (STS SourceIdentity); GetCallerIdentity never returns it.
    source_identity: str | None = None
    #: Clients made so far, per service and settings (see :meth:`client`); never copied by
    #: ``dataclasses.replace``, so a target with other credentials starts with none.
    _clients: dict[tuple[Any, ...], Any] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _clients_lock: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def is_local(self) -> bool:
        return self.name == "local"

    def session(self) -> boto3.Session:
        if self.credentials:
            return boto3.Session(
                aws_access_key_id=self.credentials["AccessKeyId"],
                aws_secret_access_key=self.credentials["SecretAccessKey"],
                aws_session_token=self.credentials["SessionToken"],
                region_name=self.region,
                botocore_session=_botocore_session(),
            )
        if self.is_local:
            return boto3.Session(
                aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
                region_name=self.region,
                botocore_session=_botocore_session(),
            )
        return boto3.Session(region_name=self.region, botocore_session=_botocore_session())

    def client(self, service: str, *, fresh: bool = False, **kwargs: Any) -> Any:
        """A boto3 client aimed at this target (same settings the environment gives the AWS CLI).

        Made once per service and settings and then reused: a client costs 20-60 ms of CPU to make
        (a botocore session, its event handlers, the service model), a call on it ~1 ms, and the
        harness asks for clients per step and per poll. boto3 clients are thread-safe and hold no
        state between calls but their connection pool. ``fresh``: a client of its own, never shared
        (e.g. a load test's client per simulated caller, each with its own connection)."""
        key = (service, tuple(sorted(kwargs.items())))
        try:
            hash(key)
        except TypeError:  # settings that cannot key a cache (a Config object ...): not shared
            fresh = True
        if fresh:
            return self._new_client(service, **kwargs)
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(service, **kwargs)
            return self._clients[key]

    def _new_client(self, service: str, **kwargs: Any) -> Any:
        config = botocore.config.Config(
            retries={"max_attempts": int(self.env.get("AWS_MAX_ATTEMPTS", "5")), "mode": "standard"},
            s3={"addressing_style": "path"} if self.is_local else None,
        )
        if self.is_local:
            kwargs.setdefault("endpoint_url", self.endpoint_url)
            kwargs.setdefault("verify", self.env.get("AWS_CA_BUNDLE"))
        return self.session().client(service, config=config, **kwargs)

    def subprocess_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The full environment for a child process (Terraform, AWS CLI) on this target."""
        env = dict(os.environ if base is None else base)
        if not self.is_local:
            # Never let emulator settings leak into a real-AWS run.
            for key in ("AWS_ENDPOINT_URL", "AWS_S3_USE_PATH_STYLE"):
                env.pop(key, None)
        env.update(self.env)
        env.update(self.credential_env())
        return env

    def with_session(self, credentials: Mapping[str, str], source_identity: str | None) -> Target:
        """This target acting with a temporary session (STS ``Credentials``: an assumed role's, or the
        ones a parent handed over): its boto3 clients and the AWS_* variables it gives children use it."""
        session = {key: credentials[key] for key in SESSION_VARIABLES}
        env = {**self.env, **{variable: session[key] for key, variable in SESSION_VARIABLES.items()}}
        return dataclasses.replace(self, env=env, credentials=session, source_identity=source_identity)

    def credential_env(self) -> dict[str, str]:
        """The variables that hand this target's assumed-role session to a child process (empty when
        the target uses its own credentials); the child's :func:`resolve` takes them."""
        if not self.credentials:
            return {}
        env = {variable: self.credentials[key] for key, variable in SESSION_VARIABLES.items()}
        env[EXPLICIT_CREDENTIALS] = "1"
        if self.source_identity:
            env[SOURCE_IDENTITY] = self.source_identity
        return env


def target_name(environ: Mapping[str, str] | None = None, explicit: str | None = None) -> str:
    environ = os.environ if environ is None else environ
    name = (explicit or environ.get("TARGET") or "local").strip().lower()
    if name not in TARGETS:
        raise UsageError(f"unknown target {name!r}: TARGET must be one of {', '.join(TARGETS)}")
    return name


def resolve(
    name: str,
    *,
    state_dir: Path,
    autostart: bool = False,
    environ: Mapping[str, str] | None = None,
    progress: Any = None,
) -> Target:
    """Resolve a target, starting the emulator if asked, or explain clearly why it is unreachable."""
    environ = os.environ if environ is None else environ
    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
    if name == "local":
        target = _resolve_local(state_dir, autostart=autostart, environ=environ, progress=progress)
    elif name == "aws":
        target = _resolve_aws(region)
    else:
        raise UsageError(f"unknown target {name!r}")
    return with_explicit_credentials(target, environ)


def with_explicit_credentials(target: Target, environ: Mapping[str, str]) -> Target:
    """``target`` using the session credentials a parent handed over (:data:`EXPLICIT_CREDENTIALS`)."""
    if environ.get(EXPLICIT_CREDENTIALS) != "1":
        return target
    missing = [variable for variable in SESSION_VARIABLES.values() if not environ.get(variable)]
    if missing:
        raise TargetError(
            f"{EXPLICIT_CREDENTIALS}=1 but {', '.join(missing)} not set: no session to act as",
            hint=f"unset {EXPLICIT_CREDENTIALS}, or export the session's three AWS_* variables",
        )
    credentials = {key: environ[variable] for key, variable in SESSION_VARIABLES.items()}
    return target.with_session(credentials, environ.get(SOURCE_IDENTITY) or None)


#: How long a running emulator may take to answer its health check before it counts as not running.
BUSY_SECONDS = 30.0


def _resolve_local(state_dir: Path, *, autostart: bool, environ: Mapping[str, str], progress: Any) -> Target:
    from harness.emulator import control

    port = int(environ["EMULATOR_PORT"]) if environ.get("EMULATOR_PORT") else None
    status = control.status(state_dir)
    deadline = time.monotonic() + BUSY_SECONDS
    while status.running and not status.answering and time.monotonic() < deadline:
        time.sleep(1.0)  # its process lives: a busy machine answers late, which is not "not running"
        status = control.status(state_dir)
    if status.running and status.answering:
        info = control.info(state_dir)
    elif autostart:
        if progress:
            progress("starting the embedded local AWS ...")
        info = control.start(port=port, state_dir=state_dir)
        if progress:
            progress(f"embedded local AWS answering at {info.endpoint_url}")
    else:
        where = status.endpoint_url or f"https://127.0.0.1:{port or control.DEFAULT_PORT}"
        raise TargetError(
            f"the embedded local AWS is not running (expected at {where})",
            hint="start it with `make up` (or `python -m harness emulator start`), "
            "or use real AWS with TARGET=aws",
        )
    env = control.env(info)
    return Target("local", env["AWS_REGION"], env, endpoint_url=env["AWS_ENDPOINT_URL"], emulator=info)


def _resolve_aws(region: str) -> Target:
    target = Target("aws", region, {})
    try:
        target.client("sts").get_caller_identity()
    except botocore.exceptions.NoCredentialsError as exc:
        raise TargetError(
            "no AWS credentials found for TARGET=aws",
            hint="configure the AWS credential chain (aws configure, AWS_PROFILE, SSO or instance role), "
            "or run against the embedded local AWS with TARGET=local",
        ) from exc
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        raise TargetError(
            f"AWS rejected or did not answer the credential check: {exc}",
            hint="check the credentials' validity and network access, or use TARGET=local",
        ) from exc
    return target


def aws_error(exc: Exception, target: Target | None = None, *, doing: str = "") -> HarnessError:
    """A botocore error as a harness error: an unreachable endpoint becomes a TargetError with a hint."""
    what = f" while {doing}" if doing else ""
    if isinstance(
        exc,
        (
            botocore.exceptions.EndpointConnectionError,
            botocore.exceptions.ConnectionClosedError,
            botocore.exceptions.ReadTimeoutError,
            botocore.exceptions.ConnectTimeoutError,
        ),
    ):
        if target is None or target.is_local:
            where = f" at {target.endpoint_url}" if target is not None and target.endpoint_url else ""
            return TargetError(
                f"the embedded local AWS{where} stopped answering{what} ({type(exc).__name__})",
                hint="it may have been stopped or killed: run `make apply` (it starts a new emulator and "
                "converges from scratch), then run this command again",
            )
        return TargetError(
            f"AWS did not answer{what}: {exc}", hint="check network access to AWS and run this command again"
        )
    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        return TargetError(
            f"no AWS credentials{what}",
            hint="configure the AWS credential chain, or use the embedded local AWS with TARGET=local",
        )
    if isinstance(exc, botocore.exceptions.ClientError):
        return HarnessError(f"AWS rejected a call{what}: {exc}")
    return HarnessError(f"AWS call failed{what}: {type(exc).__name__}: {exc}")


@contextlib.contextmanager
def aws_errors(target: Target | None = None, *, doing: str = "") -> Iterator[None]:
    """Turn botocore errors raised inside the block into harness errors (see :func:`aws_error`)."""
    try:
        yield
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        raise aws_error(exc, target, doing=doing) from exc


def wait(
    client: Any, waiter_name: str, *, what: str, timeout: float, delay: float, **params: Any
) -> dict[str, Any]:
    """Run boto3's waiter ``waiter_name`` (e.g. ``processing_job_completed_or_stopped``) and return the
    resource's description once it ends: in a success state, or in a failure state such as ``Failed``
    (the caller reads its FailureReason, as after any describe).

    The waiter's own delay (30-120 s) suits AWS's jobs, not an emulator's: ``delay`` comes from the
    caller, attempts from ``timeout``. A waiter prints nothing; callers report progress before and after.
    Not ending within ``timeout``, or an error answer (the resource does not exist), raises HarnessError
    naming ``what`` and its last status."""
    waiter = client.get_waiter(waiter_name)
    attempts = max(1, math.ceil(timeout / delay) + 1)
    try:
        waiter.wait(WaiterConfig={"Delay": delay, "MaxAttempts": attempts}, **params)
    except botocore.exceptions.WaiterError as exc:
        last = exc.last_response or {}
        if "Error" in last:
            error = last["Error"]
            raise HarnessError(f"{what}: {error.get('Code')}: {error.get('Message')}") from exc
        paths = [a.argument for a in waiter.config.acceptors if a.matcher == "path" and a.argument]
        status = last.get(paths[0], "?") if paths else "?"
        if not any(a.matcher_func(last) for a in waiter.config.acceptors if a.state == "failure"):
            raise HarnessError(
                f"{what} still {status} after {timeout:.0f} s",
                hint="it may still end: follow it with the AWS CLI's describe call, or stop it",
            ) from exc
        return dict(last)
    describe = getattr(client, botocore.xform_name(waiter.config.operation))
    return dict(describe(**params))

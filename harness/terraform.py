"""The Terraform adapter: the one place in the project that runs Terraform.

It drives the CLI through python-terraform (which builds the command lines and the temporary
variable files) behind a face like tftest's: one error type that keeps stderr, plans read as
structured data from ``terraform show -json``, and progress from Terraform's machine-readable UI
(``-json``), so long applies report "resources done of planned total".

python-terraform 0.10.1 (2019) has defects against Terraform >= 0.15 that are worked around here,
each with a unit test in ``tests/unit/test_terraform.py``:

* ``destroy()`` always passes ``-force`` (removed in 0.15): we pass ``force=None`` and
  ``auto_approve``.
* ``apply(auto_approve=True)`` is ignored (it only looks at ``skip_plan``): we apply saved plan files,
  which need no approval, and pass ``skip_plan=True`` where no plan file is used.
* ``cmd(synchronous=False)`` pops ``synchronous`` only after building the command line, so it leaks
  into Terraform's arguments as ``-synchronous=false``; and it captures output instead of
  streaming it. Our subclass overrides ``cmd`` to stream line by line into a log file and a callback.
* ``plan(detailed_exitcode=...)`` exit code 2 means "changes present", not failure.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform

from harness.errors import ExitStatus, HarnessError
from harness.ml.digest import sha256_file
from harness.processes import start_session, stop_process
from harness.progress import Progress, TerraformResource

#: Where a machine image may carry an unpacked provider mirror (folder holding registry.terraform.io).
MIRROR_CANDIDATES = (
    "/opt/tf-plugins",
    "/usr/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "~/.terraform.d/plugins",
)


#: Go's garbage-collection target for Terraform and the providers it starts, unless ``GOGC`` is set:
#: 400 instead of Go's 100 trades memory for CPU. Measured with ``harness plan`` (a refresh of the
#: 132-resource platform on the local target, 2-core machine, two runs each): CPU 12.4 s -> 10.0 s per
#: plan (-20 %, wall 10.7 s -> 9.9 s) for a peak RSS of 0.84 GB instead of 0.67 GB; 800 saved no more
#: (10.0 s, 0.90 GB), ``off`` 24 % at 1.16 GB.
GOGC = "400"


def go_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with :data:`GOGC` added unless it sets its own."""
    return {**environ, "GOGC": environ.get("GOGC") or GOGC}


class TerraformError(HarnessError):
    """A Terraform command failed. Keeps the command, exit code, stderr and the log path."""

    exit_status = ExitStatus.TERRAFORM

    def __init__(
        self,
        message: str,
        *,
        command: list[str] | None = None,
        returncode: int | None = None,
        stderr: str = "",
        diagnostics: list[dict[str, Any]] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.command = command or []
        self.returncode = returncode
        self.stderr = stderr
        self.diagnostics = diagnostics or []
        self.log_path = log_path
        details = [d for d in (_format_diagnostic(x) for x in self.diagnostics) if d]
        if not details and stderr.strip():
            details = [stderr.strip()[-4000:]]
        text = message if not details else message + "\n" + "\n".join(details)
        hint = f"full Terraform log: {log_path}" if log_path else None
        super().__init__(text, hint=hint)


def _format_diagnostic(diag: Mapping[str, Any]) -> str:
    if diag.get("severity") != "error":
        return ""
    summary = diag.get("summary", "")
    detail = diag.get("detail", "")
    where = ""
    rng = diag.get("range") or {}
    if rng.get("filename"):
        where = f" ({rng['filename']}:{rng.get('start', {}).get('line', '?')})"
    snippet = diag.get("snippet") or {}
    code = snippet.get("code", "").strip()
    values = "; ".join(
        v.get("traversal", "") + " " + v.get("statement", "") for v in snippet.get("values", [])
    )
    parts = [f"  Error: {summary}{where}"]
    if code:
        parts.append(f"    {code}")
    if values:
        parts.append(f"    {values}")
    if detail:
        parts.append("    " + detail.replace("\n", "\n    "))
    return "\n".join(parts)


def find_provider_mirror(environ: Mapping[str, str] | None = None) -> Path | None:
    """The unpacked provider mirror to use: ``TF_PROVIDER_MIRROR`` if set, else a known location."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("TF_PROVIDER_MIRROR")
    if explicit is not None:
        return Path(explicit) if explicit and (Path(explicit) / "registry.terraform.io").is_dir() else None
    for candidate in MIRROR_CANDIDATES:
        path = Path(candidate).expanduser()
        if (path / "registry.terraform.io").is_dir():
            return path
    return None


def cli_config_env(cache_dir: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment entries that make ``terraform init`` find providers.

    With a mirror: a CLI config pointing at it (no download). Without: the registry, keeping a
    user's own ``TF_CLI_CONFIG_FILE`` when it exists.
    """
    environ = os.environ if environ is None else environ
    mirror = find_provider_mirror(environ)
    if mirror is None:
        configured = environ.get("TF_CLI_CONFIG_FILE")
        if configured and Path(configured).is_file():
            return {"TF_CLI_CONFIG_FILE": configured}
        return {"TF_CLI_CONFIG_FILE": ""}
    cache_dir.mkdir(parents=True, exist_ok=True)
    rc = cache_dir / "terraform.rc"
    text = (
        "provider_installation {\n"
        "  filesystem_mirror {\n"
        f'    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/*/*"]\n'
        "  }\n"
        "}\n"
    )
    if not rc.exists() or rc.read_text() != text:
        rc.write_text(text)
    return {"TF_CLI_CONFIG_FILE": str(rc)}


#: The file a successful ``init`` leaves in the data directory: digests of what it initialised from.
INIT_MARKER = "harness-init.json"


#: Environment variables that change what ``terraform init`` does (part of its marker's inputs).
_INIT_ENVIRONMENT = ("TF_PLUGIN_CACHE_DIR", "TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_WORKSPACE")


#: The provider the harness shares among Terraform commands (the only one the configurations use).
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"


#: What a provider started with ``-debug`` prints for Terraform to attach to it instead of launching one.
_REATTACH_LINE = "TF_REATTACH_PROVIDERS='"


def installed_provider(
    data_dir: Path, address: str = "registry.terraform.io/hashicorp/aws", version: str = "*"
) -> Path | None:
    """The plugin binary ``terraform init`` installed for provider ``address`` (its newest version, or
    ``version``) under ``data_dir``."""
    name = address.rsplit("/", 1)[-1]
    # ``version`` is part of the pattern (``*`` matches every version folder), never a literal folder
    found = sorted(
        (data_dir / "providers" / address).glob(f"{version}/*/terraform-provider-{name}_*"),
        key=lambda path: _version_key(path.parent.parent.name),
    )
    return found[-1] if found else None


def _version_key(version: str) -> tuple[tuple[int, str], ...]:
    """A version folder's name ordered as versions are (5.100.0 after 5.99.0)."""
    return tuple((int(part), "") if part.isdigit() else (-1, part) for part in version.split("."))


def _start_debug_provider(
    binary: Path, env: Mapping[str, str], timeout: float, sink: Callable[[str], None] | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start ``binary -debug`` (own session) with ``env``; returns it and its ``TF_REATTACH_PROVIDERS``
    value. Its later output (logs, a panic) goes to ``sink``; it is stopped if it does not start."""
    proc = start_session(
        [str(binary), "-debug"],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    found: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if not found and _REATTACH_LINE in line:
                found.append(line.split(_REATTACH_LINE, 1)[1].rstrip().rstrip("'"))
            elif found and sink is not None:
                with contextlib.suppress(Exception):
                    sink(line)
            elif len(lines) < 50:
                lines.append(line.rstrip())

    reader = threading.Thread(target=read, daemon=True, name=f"provider-{proc.pid}")
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while not found:
            if proc.poll() is not None or time.monotonic() > deadline:
                reader.join(timeout=1.0)  # what it printed before it ended
                raise HarnessError(
                    f"the provider {binary.name} did not start in debug mode: " + " | ".join(lines[-5:]),
                    hint="run without it: TF_SHARED_PROVIDER=0",
                )
            time.sleep(0.05)
        json.loads(found[0])  # what Terraform will parse: fail here, not in every command
    except BaseException:
        stop_process(proc, grace=5.0, group=True)
        raise
    return proc, found[0]


@contextlib.contextmanager
def shared_provider(
    binary: Path, *, timeout: float = 60.0, env: Mapping[str, str] | None = None
) -> Iterator[dict[str, str]]:
    """One provider process that many Terraform commands attach to (``TF_REATTACH_PROVIDERS``).

    Terraform launches a provider plugin for every operation and asks it for its schema; the AWS
    provider's binary is ~700 MB and answering costs about a CPU-second each time, so ``terraform
    test`` over a module's runs spends most of its time starting providers. Terraform's documented
    reattach mechanism (a provider started with ``-debug`` prints the variable) lets every command use
    one running process instead. Only for commands that never configure the provider against a real
    endpoint (mock-provider ``terraform test``, ``validate``, a plan refused at variable validation,
    which stops before any provider is configured): one process holds one configuration, and
    ``terraform test`` runs files in parallel. (The harness's own commands share one differently, one
    Terraform command at a time: :class:`SharedProviders`.) ``env`` (default: this process's) is the
    provider's own environment, where it reads endpoints and credentials: the one Terraform would
    launch it with. Yields the environment entries to add; the process is stopped on exit.
    """
    proc, reattach = _start_debug_provider(binary, go_env(os.environ if env is None else env), timeout)
    try:
        yield {"TF_REATTACH_PROVIDERS": reattach}
    finally:
        stop_process(proc, grace=5.0, group=True)


#: Terraform commands that start providers (the others: init installs them, output/state/version
#: read the state or nothing). ``test`` has its own sharing (:func:`shared_provider`).
PROVIDER_COMMANDS = frozenset({"plan", "apply", "show", "validate", "refresh", "import", "destroy"})


#: Where a data directory keeps the ``h1:`` hashes of the provider packages it shared (see
#: :func:`provider_package_hash`).
PROVIDER_HASHES = "harness-provider-hashes.json"


def _package_files(package_dir: Path) -> list[list[Any]]:
    """Every file of the package as ``[relative path, size, mtime, ctime, inode, device]``, by path."""
    files = []
    for path in package_dir.rglob("*"):
        if path.is_file():
            st = path.stat()
            rel = path.relative_to(package_dir).as_posix()
            files.append([rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev])
    return sorted(files)


def provider_package_hash(package_dir: Path, *, cache: Path | None = None) -> str:
    """Terraform's ``h1:`` hash of an unpacked provider package (Go's ``dirhash.Hash1``): SHA-256 over
    the lines ``<sha256 hex>  <relative path>`` of every file, sorted by path, base64.

    Reading the AWS provider's 700 MB costs a CPU-second or more, at every harness command. With
    ``cache`` (a JSON file, e.g. :data:`PROVIDER_HASHES` in the data directory), a package whose files are
    the same files as when it was last hashed is not read again: same paths, sizes, inodes and devices,
    modification and status-change times. A replaced file, a ``touch -d`` and any write a clock tick
    after the last hash change its status-change time, which no user can set. A cache that cannot be
    read is ignored, and one that cannot be written is not kept."""
    files = _package_files(package_dir)
    key = str(package_dir.resolve())
    known: dict[str, Any] = {}
    if cache is not None:
        with contextlib.suppress(OSError, ValueError):
            known = json.loads(cache.read_text())
        entry = known.get(key) if isinstance(known, dict) else None
        if isinstance(entry, dict) and entry.get("files") == files and str(entry.get("h1")).startswith("h1:"):
            return str(entry["h1"])
    lines = [f"{sha256_file(package_dir / f[0])}  {f[0]}\n" for f in files]
    h1 = "h1:" + base64.b64encode(hashlib.sha256("".join(lines).encode()).digest()).decode()
    if cache is not None and files == _package_files(package_dir):  # unchanged while it was read
        known = known if isinstance(known, dict) else {}
        known[key] = {"files": files, "h1": h1}
        with contextlib.suppress(OSError):
            tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(known, sort_keys=True))
            tmp.replace(cache)
    return h1


def provider_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a shared AWS provider starts with: the commands' own, except that a custom CA
    bundle (``AWS_CA_BUNDLE``) is given as Go's ``SSL_CERT_FILE``.

    The AWS provider (5.100.0, measured) configures itself again for every Terraform command, and its
    second configuration in one process fails when ``AWS_CA_BUNDLE`` is set ("unable to add custom
    RootCAs HTTPClient, has no WithTransportOptions, *http.Client"). ``SSL_CERT_FILE`` makes Go trust
    exactly the certificates of that file, as ``AWS_CA_BUNDLE`` makes the AWS SDK do for its calls.

    Unless ``TF_LOG``/``TF_LOG_PROVIDER`` asks for logs, its log subsystems are off
    (:data:`_PROVIDER_LOG_SUBSYSTEMS`): in debug mode it writes every one at TRACE to its output (3,107
    lines for a one-data-source plan, none with them off), which Terraform without ``TF_LOG`` never
    shows. A panic's stack is not a log line and still reaches the command's log."""
    env = dict(env)
    bundle = env.pop("AWS_CA_BUNDLE", None)
    if bundle:
        env["SSL_CERT_FILE"] = bundle
    if not env.get("TF_LOG") and not env.get("TF_LOG_PROVIDER"):
        for name in _PROVIDER_LOG_SUBSYSTEMS:
            env.setdefault(name, "OFF")
    return env


#: terraform-plugin-log's subsystems in the AWS provider (SDKv2, framework, mux, protocol, its own).
_PROVIDER_LOG_SUBSYSTEMS = (
    "TF_LOG_SDK",
    "TF_LOG_SDK_PROTO",
    "TF_LOG_SDK_FRAMEWORK",
    "TF_LOG_SDK_MUX",
    "TF_LOG_SDK_HELPER_SCHEMA",
    "TF_LOG_SDK_HELPER_RESOURCE",
    "TF_LOG_PROVIDER_AWS",
)


class _SharedProcess:
    """One running provider in debug mode and whose command is attached to it now (``busy``)."""

    def __init__(self, binary: Path, env: Mapping[str, str], timeout: float) -> None:
        self.log_file: Path | None = None
        self.busy = threading.Lock()
        self.proc, self.reattach = _start_debug_provider(
            binary, provider_environment(env), timeout, self._log
        )

    def _log(self, line: str) -> None:
        """Its own output (``TF_LOG`` logs, a panic) goes to the attached command's Terraform log, where
        Terraform writes a provider's output when it launched it."""
        if self.log_file is not None:
            with self.log_file.open("a", encoding="utf-8") as log:
                log.write("[provider] " + line)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        stop_process(self.proc, grace=5.0, group=True)


class SharedProviders:
    """The AWS provider processes that the Terraform commands of one harness command attach to.

    Every plan, apply or ``show`` made Terraform launch the ~700 MB provider (twice: schema, then the
    operation; ~0.9 CPU-second each) and hash its package against the lock file (~0.5 CPU-second).
    Within one harness command every Terraform command runs against the same target with the same
    configuration, so one provider process started at the first command that needs it (never for
    ``init``, which must install providers) serves them all through ``TF_REATTACH_PROVIDERS``, the
    mechanism Terraform's plugin SDK test harness uses for a sequence of commands against one provider
    process (each command configures it again). The rules that keep this equivalent:

    * one provider per (binary, full environment): the provider reads the target's endpoint and
      credentials from its environment, so it is started with exactly the command's environment (the
      fault tests find it by ``HARNESS_WORK_DIR`` like any child), and a different one gets its own;
    * one Terraform command at a time per provider: a command that would overlap another one of the
      same process (a scan's ``show`` beside an apply) launches its providers as usual;
    * Terraform skips its lock-file checksum check for an attached provider, so the package is checked
      against the lock file's ``h1:`` hashes here, before the process starts, or not shared;
    * its output (logs, a panic) is appended to the attached command's Terraform log;
    * a provider that has died is replaced at the next command; every process is stopped by
      :meth:`close` (``with sharing_providers():`` in the CLI: normal end, error, Ctrl-C, SIGTERM).
    """

    def __init__(self, *, timeout: float = 60.0, unkeyed: Collection[str] = ()) -> None:
        self.timeout = timeout
        #: Environment variables that neither make a different provider nor reach it (a test runner's
        #: per-test marker, e.g., which would otherwise start a provider per test).
        self.unkeyed = frozenset(unkeyed)
        self._procs: dict[tuple[Any, ...], _SharedProcess] = {}
        self._checked: dict[tuple[Any, ...], bool] = {}
        self._lock = threading.Lock()
        self.closed = False
        #: How many provider processes were started (tests and the measurements in the README).
        self.started = 0

    @contextlib.contextmanager
    def attach(
        self,
        binary: Path,
        env: Mapping[str, str],
        *,
        lock_hashes: Sequence[str] = (),
        log_file: Path | None = None,
        hash_cache: Path | None = None,
    ) -> Iterator[dict[str, str]]:
        """The environment entries that attach one Terraform command to the shared provider for
        (``binary``, ``env``), started now if needed; ``{}`` (Terraform launches its own, and checks
        it) when it is busy with another command, sharing has ended, or the package matches none of
        ``lock_hashes`` (the lock file's ``h1:`` checksums; none: not shared). ``hash_cache``: where the
        package's hash is kept between processes (see :func:`provider_package_hash`)."""
        env = {k: v for k, v in env.items() if k not in self.unkeyed}
        key = (str(binary), tuple(sorted(env.items())))
        with self._lock:
            if self.closed:
                shared = None
            else:
                shared = self._procs.get(key)
                if shared is not None and not shared.alive():
                    shared.stop()
                    shared = None
                if shared is None and self._verified(binary, lock_hashes, hash_cache):
                    shared = _SharedProcess(binary, env, self.timeout)
                    self._procs[key] = shared
                    self.started += 1
            if shared is not None and not shared.busy.acquire(blocking=False):
                shared = None
        if shared is None:
            yield {}
            return
        shared.log_file = log_file
        try:
            yield {"TF_REATTACH_PROVIDERS": shared.reattach}
        finally:
            shared.log_file = None
            shared.busy.release()

    def _verified(self, binary: Path, lock_hashes: Sequence[str], hash_cache: Path | None = None) -> bool:
        """Whether the package of ``binary`` matches the lock file (hashed once per file version)."""
        st = binary.stat()
        key = (str(binary), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, tuple(lock_hashes))
        if key not in self._checked:
            self._checked[key] = bool(lock_hashes) and (
                provider_package_hash(binary.parent, cache=hash_cache) in lock_hashes
            )
        return self._checked[key]

    def close(self) -> None:
        """Stop every provider process (Ctrl-C while it waits is absorbed: nothing is left behind)."""
        with self._lock:
            self.closed = True
            procs = list(self._procs.values())
            self._procs.clear()
        for shared in procs:
            with contextlib.suppress(PermissionError):
                stop_process(shared.proc, grace=5.0, group=True, absorb_interrupts=True)


_sharing: SharedProviders | None = None


def active_providers() -> SharedProviders | None:
    """The provider sharing of the running harness command, if one is active."""
    return _sharing


def sharing_enabled(environ: Mapping[str, str] | None = None, *, local: bool = True) -> bool:
    """Whether Terraform commands attach to a shared provider: on the local target unless
    ``TF_SHARED_PROVIDER=0``; on AWS only with ``TF_SHARED_PROVIDER=1``."""
    value = (os.environ if environ is None else environ).get("TF_SHARED_PROVIDER", "")
    return value == "1" or (local and value != "0")


@contextlib.contextmanager
def sharing_providers(*, unkeyed: Collection[str] = ()) -> Iterator[SharedProviders]:
    """Share provider processes among the Terraform commands of the block (see :class:`SharedProviders`,
    and its ``unkeyed``); every one is stopped when the block ends, however it ends. SIGTERM in the block
    (main thread) is raised as KeyboardInterrupt, so it stops Terraform and the providers the way Ctrl-C
    does. Nested blocks use the outer one's."""
    global _sharing
    if _sharing is not None:
        yield _sharing
        return
    pool = SharedProviders(unkeyed=unkeyed)
    previous: Any = None
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                previous = signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    _sharing = pool
    try:
        yield pool
    finally:
        _sharing = None
        try:
            pool.close()
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)


def _sigterm_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@dataclasses.dataclass
class ResourceChange:
    address: str
    actions: tuple[str, ...]

    @property
    def steps(self) -> int:
        """How many apply events this change produces (a replace is a delete and a create)."""
        if self.actions == ("no-op",):
            return 0
        return len(self.actions)


class Plan:
    """A saved plan: what it will do, and its structured data from ``terraform show -json``.

    ``show -json`` of the platform's plan costs three to five CPU-seconds (Terraform, and the provider
    it starts to read the schema), so :attr:`pending`, :attr:`total_steps`, :attr:`output_changes`,
    :attr:`has_changes` and :meth:`summary` come from the plan command itself when it can say them
    exactly: a plan with nothing to do (``empty``: Terraform's ``-detailed-exitcode`` said 0, which it
    gives only when no resource action other than no-op, no move, no import and no change to a root
    output is planned), or the ``changes``/``outputs`` its machine-readable UI stream reported (see
    :class:`_PlanStream`). The JSON is read on first use (``load``) by whoever reads :attr:`data`,
    :attr:`resource_changes` or :meth:`resources` (the plan scan, ``harness scan``, ``harness plan`` when
    a replace is pending),
    and by the properties above when the stream did not account for the plan. From the stream a
    replace is ``("delete", "create")`` whichever order Terraform will use (the stream does not say;
    :attr:`resource_changes` does); steps and summary counts are the same either way.
    """

    def __init__(
        self,
        path: Path,
        data: dict[str, Any] | None = None,
        *,
        load: Callable[[], dict[str, Any]] | None = None,
        empty: bool = False,
        changes: Sequence[ResourceChange] | None = None,
        outputs: Sequence[str] | None = None,
    ) -> None:
        if data is None and load is None:
            raise ValueError("a Plan needs its data or a way to load it")
        if (changes is None) != (outputs is None):
            raise ValueError("a plan's streamed changes come with its output changes")
        self.path = path
        self.empty = empty
        self._changes = None if changes is None else list(changes)
        self._outputs = None if outputs is None else list(outputs)
        self._data = data
        self._load = load
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the JSON has been read (tests and callers that count ``show`` calls)."""
        return self._data is not None

    @property
    def data(self) -> dict[str, Any]:
        with self._lock:
            if self._data is None:
                assert self._load is not None
                self._data = self._load()
            return self._data

    @property
    def resource_changes(self) -> list[ResourceChange]:
        return [
            ResourceChange(rc["address"], tuple(rc["change"]["actions"]))
            for rc in self.data.get("resource_changes") or []
        ]

    @property
    def streamed(self) -> bool:
        """Whether what the plan will do is known without its JSON (empty, or from the plan's stream)."""
        return self.empty or self._changes is not None

    @property
    def pending(self) -> list[ResourceChange]:
        if self.empty:
            return []
        changes = self._changes if self._changes is not None else self.resource_changes
        return [rc for rc in changes if rc.steps]

    @property
    def total_steps(self) -> int:
        return sum(rc.steps for rc in self.pending)

    @property
    def has_changes(self) -> bool:
        return bool(self.pending) or bool(self.output_changes)

    @property
    def output_changes(self) -> list[str]:
        if self.empty:
            return []
        if self._outputs is not None:
            return list(self._outputs)
        return [
            name
            for name, ch in (self.data.get("output_changes") or {}).items()
            if tuple(ch.get("actions", ())) not in (("no-op",),)
        ]

    def summary(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "destroy": 0}
        for rc in self.pending:
            if "create" in rc.actions:
                counts["add"] += 1
            if "delete" in rc.actions:
                counts["destroy"] += 1
            if rc.actions == ("update",):
                counts["change"] += 1
        return counts

    def resources(self, type_: str | None = None) -> list[dict[str, Any]]:
        """Planned resources (all modules) from ``planned_values``, optionally of one type."""
        out: list[dict[str, Any]] = []

        def walk(module: Mapping[str, Any]) -> None:
            for res in module.get("resources", []):
                if type_ is None or res.get("type") == type_:
                    out.append(res)
            for child in module.get("child_modules", []):
                walk(child)

        walk(self.data.get("planned_values", {}).get("root_module", {}))
        return out


class _StreamingTerraform(Terraform):
    """python-terraform with a ``cmd`` that streams output line by line and can be interrupted."""

    def __init__(self, *args: Any, env: Mapping[str, str], log_file: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._env = dict(env)
        self._log_file = log_file
        self.on_line: Callable[[str], None] | None = None
        self.last_command: list[str] = []
        #: Called every second while Terraform runs; a non-empty answer (why) stops Terraform gracefully.
        self.watchdog: Callable[[], str | None] | None = None
        self.stopped_because: str | None = None

    def read_state_file(self, file_path: str | None = None) -> None:
        """Not used: state is read through ``terraform show -json`` (works with any backend)."""
        self.tfstate = None

    def environment(self) -> dict[str, str]:
        """The environment Terraform runs with (ours over the process's; an empty value of ours unsets)."""
        env = os.environ.copy() if self.is_env_vars_included else {}
        env.update(self._env)
        env = {k: v for k, v in env.items() if v != "" or k not in self._env}
        if env.get("TF_CLI_CONFIG_FILE") == "":
            env.pop("TF_CLI_CONFIG_FILE")
        return go_env(env)

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        # Pop our own options BEFORE the command line is built (python-terraform leaks them).
        for leaked in ("synchronous", "capture_output", "raise_on_error"):
            kwargs.pop(leaked, None)
        extra_env: Mapping[str, str] = kwargs.pop("extra_env", None) or {}
        command = self.generate_cmd_string(cmd, *args, **kwargs)
        self.last_command = command
        env = {**self.environment(), **extra_env}
        self._log_file.parent.mkdir(parents=True, exist_ok=True)
        out_lines: list[str] = []
        err_chunks: list[str] = []
        with self._log_file.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {' '.join(command)}\n")
            log.flush()
            proc = start_session(
                command,
                cwd=self.working_dir or None,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                bufsize=1,
            )

            def drain_err() -> None:
                assert proc.stderr is not None
                for line in proc.stderr:
                    err_chunks.append(line)

            t = threading.Thread(target=drain_err, daemon=True)
            t.start()
            self.stopped_because = None
            watching = threading.Event()
            if self.watchdog is not None:
                threading.Thread(target=self._watch, args=(proc, watching), daemon=True).start()
            try:
                assert proc.stdout is not None
                for line in proc.stdout:
                    out_lines.append(line)
                    log.write(line)
                    if self.on_line is not None:
                        self.on_line(line)
                proc.wait()
            except BaseException:
                # Ctrl-C or any error: let Terraform release its lock and stop cleanly. Keep draining
                # its output meanwhile, or a full pipe would block it until the grace period ends.
                drain = threading.Thread(target=_drain, args=(proc, out_lines), daemon=True)
                drain.start()
                _interrupt(proc)
                drain.join(timeout=5)
                log.write("".join(out_lines[-200:]))
                raise
            finally:
                watching.set()
                t.join(timeout=5)
                if err_chunks:
                    log.write("".join(err_chunks))
                self.temp_var_files.clean_up()
        return proc.returncode, "".join(out_lines), "".join(err_chunks)

    def _watch(self, proc: subprocess.Popen[str], done: threading.Event) -> None:
        """Stop Terraform early when what it talks to is gone (instead of minutes of provider retries)."""
        assert self.watchdog is not None
        while not done.wait(1.0) and proc.poll() is None:
            reason = self.watchdog()
            if reason:
                self.stopped_because = reason
                with contextlib.suppress(Exception):
                    self._log_file.open("a").write(f"\n[harness] stopping Terraform: {reason}\n")
                _interrupt(proc)
                return


def _drain(proc: subprocess.Popen[str], sink: list[str]) -> None:
    with contextlib.suppress(OSError, ValueError):
        assert proc.stdout is not None
        for line in proc.stdout:
            sink.append(line)


def _interrupt(proc: subprocess.Popen[str], grace: float = 30.0) -> None:
    """Stop Terraform the way Ctrl-C in a terminal would, without ever leaving it behind.

    Terraform runs in a session of its own (a terminal's Ctrl-C reaches only the harness), so the
    harness forwards one SIGINT: Terraform's graceful stop, which cancels in-flight provider calls,
    writes the state and releases the state lock. Further Ctrl-Cs while it does so are absorbed (a
    second SIGINT would make Terraform exit at once, lock held and state unwritten); only when the
    grace period runs out is its process group (Terraform and its providers) killed.
    """
    stop_process(proc, grace=grace, first_signal=signal.SIGINT, group=True, absorb_interrupts=True)


#: ``planned_change`` actions of Terraform's machine-readable UI, as the ``actions`` of a
#: ``resource_changes`` entry of ``show -json``. "move" and "import" are reported only for what is
#: otherwise a no-op. Not here, so read from the JSON: "remove" (forget) and whatever a later
#: Terraform adds.
_STREAM_ACTIONS: dict[str, tuple[str, ...]] = {
    "create": ("create",),
    "read": ("read",),
    "update": ("update",),
    "replace": ("delete", "create"),
    "delete": ("delete",),
    "noop": ("no-op",),
    "move": ("no-op",),
    "import": ("no-op",),
}


class _PlanStream:
    """Collects what ``terraform plan -json`` says about the plan it saves, and its diagnostics.

    Terraform's machine-readable UI prints a ``planned_change`` message (resource address, action) for
    every resource instance change that is not a plain no-op, then a ``change_summary`` (add, change,
    remove, import counts) and, when the root module has outputs, an ``outputs`` message (each output's
    action, ``noop`` included). :meth:`changes` turns them into what ``show -json`` would give
    :class:`Plan`, and only when they account for the plan: an action this table does not know, a
    message kind that carries changes the JSON's ``resource_changes`` does not (deferred changes,
    action invocations), no summary, or planned changes whose counts differ from Terraform's own
    summary: None, and the plan's JSON answers.
    """

    def __init__(self) -> None:
        self.diagnostics: list[dict[str, Any]] = []
        self.planned: list[dict[str, Any]] = []
        self.counts: dict[str, Any] | None = None
        self.outputs: dict[str, Any] | None = None
        self.unaccounted = False

    def __call__(self, line: str) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        kind = msg.get("type")
        if kind == "diagnostic":
            self.diagnostics.append(msg.get("diagnostic", {}))
        elif kind == "planned_change":
            self.planned.append(msg.get("change") or {})
        elif kind == "change_summary":
            self.counts = msg.get("changes")
        elif kind == "outputs":
            self.outputs = msg.get("outputs")
        elif kind in ("deferred_change", "planned_action_invocation"):
            self.unaccounted = True

    def changes(self) -> tuple[list[ResourceChange], list[str]] | None:
        """The plan's resource changes and changed root outputs, or None when the stream cannot say."""
        counts = self.counts
        if self.unaccounted or not isinstance(counts, dict) or counts.get("operation") != "plan":
            return None
        changes: list[ResourceChange] = []
        tally = {"add": 0, "change": 0, "remove": 0, "import": 0}
        for change in self.planned:
            action = change.get("action")
            address = (change.get("resource") or {}).get("addr")
            if action not in _STREAM_ACTIONS or not address:
                return None
            tally["add"] += action in ("create", "replace")
            tally["change"] += action == "update"
            tally["remove"] += action in ("delete", "replace")
            tally["import"] += change.get("importing") is not None
            changes.append(ResourceChange(address, _STREAM_ACTIONS[action]))
        if any(counts.get(k) != n for k, n in tally.items()):
            return None
        outputs = self.outputs or {}
        if not isinstance(outputs, dict) or not all(isinstance(o, dict) for o in outputs.values()):
            return None
        return changes, [name for name, o in outputs.items() if o.get("action") not in ("noop", None)]


class _ProgressPrinter:
    """Turns Terraform's ``-json`` UI stream into :class:`~harness.progress.TerraformResource` events."""

    def __init__(self, total: int, emit: Progress | None) -> None:
        self.total = total
        self.done = 0
        self.emit = emit
        self.diagnostics: list[dict[str, Any]] = []
        self.started = time.monotonic()

    def __call__(self, line: str) -> None:
        try:
            msg = json.loads(line)
        except ValueError:
            return
        kind = msg.get("type")
        if kind == "diagnostic":
            self.diagnostics.append(msg.get("diagnostic", {}))
            return
        if kind == "planned_change" and self.total == 0:
            return
        if kind in ("apply_complete", "apply_errored"):
            self.done += 1
            hook = msg.get("hook", {})
            addr = hook.get("resource", {}).get("addr", "?")
            action = hook.get("action", "")
            elapsed = hook.get("elapsed_seconds")
            status = (
                "failed"
                if kind == "apply_errored"
                else {"create": "created", "delete": "destroyed", "read": "read", "update": "updated"}.get(
                    action, action + "d" if action else "done"
                )
            )
            if self.emit:
                self.emit(TerraformResource(self.done, max(self.total, self.done), addr, status, elapsed))


@dataclasses.dataclass
class ApplyResult:
    planned: int
    done: int
    seconds: float
    summary: dict[str, int]


class TerraformRunner:
    """Runs one Terraform root configuration.

    ``env`` is added to the environment of every Terraform process (target selection, CLI config);
    ``data_dir`` separates ``.terraform`` per target; ``backend_config`` goes to ``init``.
    """

    def __init__(
        self,
        workdir: Path,
        *,
        run_dir: Path,
        env: Mapping[str, str] | None = None,
        var_files: Iterable[Path] = (),
        variables: Mapping[str, Any] | None = None,
        backend_config: Mapping[str, str] | None = None,
        data_dir: Path | None = None,
        progress: Progress | None = None,
        terraform_bin: str | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.run_dir = Path(run_dir)
        self.log_path = self.run_dir / "terraform.log"
        self.progress = progress
        self.backend_config = dict(backend_config or {})
        self._plan_files: set[Path] = set()
        #: The Terraform commands this runner ran, in order (``plan``, ``apply``, ``show``, ...).
        self.commands: list[str] = []
        #: Attach provider-starting commands to the harness command's shared provider, when one is
        #: active (:func:`sharing_providers`); the caller decides per target (:func:`sharing_enabled`).
        self.share_provider = False
        env = dict(env or {})
        if data_dir is not None:
            env["TF_DATA_DIR"] = str(data_dir)
        env.setdefault("TF_IN_AUTOMATION", "1")
        binary = terraform_bin or shutil.which("terraform")
        if not binary:
            raise HarnessError(
                "terraform is not on PATH", hint="install Terraform >= 1.9 (https://developer.hashicorp.com)"
            )
        self._tf = _StreamingTerraform(
            working_dir=str(self.workdir),
            var_file=[str(p) for p in var_files] or None,
            variables=dict(variables or {}),
            terraform_bin_path=binary,
            env=env,
            log_file=self.log_path,
        )

    @property
    def watchdog(self) -> Callable[[], str | None] | None:
        return self._tf.watchdog

    @watchdog.setter
    def watchdog(self, check: Callable[[], str | None] | None) -> None:
        self._tf.watchdog = check

    @property
    def variables(self) -> dict[str, Any]:
        return dict(self._tf.variables or {})

    @property
    def var_files(self) -> list[Path]:
        return [Path(f) for f in self._tf.var_file or []]

    def drop_var_file(self, path: Path) -> None:
        """Stop passing a var file (e.g. a release that no longer exists on a fresh target)."""
        files = self._tf.var_file or []
        self._tf.var_file = [f for f in files if Path(f) != Path(path)] or None

    # -- plumbing ---------------------------------------------------------------------------------

    def _run(
        self,
        what: str,
        cmd: str,
        *args: Any,
        ok: tuple[int, ...] = (0,),
        on_line: Callable[[str], None] | None = None,
        **opts: Any,
    ) -> tuple[int, str, str]:
        self._tf.on_line = on_line
        self.commands.append(cmd)
        try:
            with self._provider(cmd) as extra_env:
                rc, out, err = self._tf.cmd(cmd, *args, extra_env=extra_env, **opts)
        finally:
            self._tf.on_line = None
        if rc not in ok:
            diagnostics = getattr(on_line, "diagnostics", None) or _diagnostics_from(out)
            why = self._tf.stopped_because
            raise TerraformError(
                f"terraform {what} stopped: {why}" if why else f"terraform {what} failed (exit {rc})",
                command=self._tf.last_command,
                returncode=rc,
                stderr=err,
                diagnostics=diagnostics,
                log_path=self.log_path,
            )
        return rc, out, err

    def _provider(self, cmd: str) -> contextlib.AbstractContextManager[Mapping[str, str]]:
        """The shared AWS provider for a command that starts providers, when :attr:`share_provider` is
        set and a harness command shares them (:func:`sharing_providers`); else nothing to add."""
        pool = active_providers()
        if not self.share_provider or pool is None or cmd not in PROVIDER_COMMANDS:
            return contextlib.nullcontext({})
        env = self._tf.environment()
        if env.get("TF_REATTACH_PROVIDERS"):
            return contextlib.nullcontext({})  # the user attaches providers of their own
        version, hashes = _locked_providers(self.workdir).get(AWS_PROVIDER, ("", []))
        binary = installed_provider(self.data_dir, AWS_PROVIDER, version) if version else None
        if binary is None:
            return contextlib.nullcontext({})  # Terraform says what is missing
        cache = self.data_dir / PROVIDER_HASHES
        return pool.attach(binary, env, lock_hashes=hashes, log_file=self.log_path, hash_cache=cache)

    def _with_vars(self, opts: dict[str, Any]) -> dict[str, Any]:
        options = self._tf._generate_default_options(opts)
        # python-terraform emits -var (as a temporary var file) before -var-file; Terraform lets the
        # last file win, so explicit variables must come after the tfvars files to override them.
        options["var"] = options.pop("var", None)
        return options

    # -- commands ---------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """Where ``terraform init`` installs providers and modules and records the backend."""
        configured = self._tf.environment().get("TF_DATA_DIR")
        return Path(configured) if configured else self.workdir / ".terraform"

    @property
    def _init_marker(self) -> Path:
        return self.data_dir / INIT_MARKER

    def init(self, *, upgrade: bool = False, backend: bool = True) -> None:
        """``terraform init``; on success, records what it initialised from (see :meth:`init_needed`)."""
        opts: dict[str, Any] = {
            "input": False,
            "no_color": IsFlagged,
            "backend": None if backend else False,
            "backend_config": (self.backend_config or None) if backend else None,
            "upgrade": IsFlagged if upgrade else IsNotFlagged,
        }
        self._init_marker.unlink(missing_ok=True)  # a failed or interrupted init is never trusted
        self._run("init", "init", **opts)
        with contextlib.suppress(OSError):
            tmp = self._init_marker.with_name(INIT_MARKER + ".tmp")
            tmp.write_text(json.dumps({"inputs": self._init_inputs(backend=backend)}, sort_keys=True))
            tmp.replace(self._init_marker)

    def init_needed(self, *, backend: bool = True) -> str | None:
        """Why ``terraform init`` must run before the next command, or None when it provably need not.

        The rule: init is skipped only when the last successful init in this data directory (the
        marker it left, :data:`INIT_MARKER`) was made from exactly what it would read now: the same
        Terraform binary (path, size, modification time), working directory, backend configuration
        (``-backend-config`` values and the backend flag), CLI configuration file (its content: where
        providers come from), the environment init reads (:data:`_INIT_ENVIRONMENT`), dependency lock
        file (``.terraform.lock.hcl``), module manifest (``modules.json``: every module's key, source and
        version) and the content of every ``.tf``/``.tf.json`` file of the root module and of each module
        in that manifest (so a new or changed module call, provider requirement or backend block re-runs
        it); and when the backend record (``terraform.tfstate`` in the data directory, with a backend)
        and every provider the lock file names (its binary at the locked version) are still installed.
        Any difference, a missing file or an unreadable one: init runs. ``init`` itself always runs and
        rewrites the marker.
        """
        marker = self._init_marker
        if not marker.is_file():
            return "not initialised by the harness in this data directory"
        try:
            recorded = json.loads(marker.read_text()).get("inputs")
            current = self._init_inputs(backend=backend)
        except (OSError, ValueError) as exc:
            return f"cannot read what init used: {exc}"
        if recorded != current:
            changed = sorted(k for k in {*recorded, *current} if recorded.get(k) != current.get(k))
            return "changed since the last init: " + ", ".join(changed)
        if backend and not (self.data_dir / "terraform.tfstate").is_file():
            return "the backend is not initialised"
        locked = [(address, version) for address, (version, _) in _locked_providers(self.workdir).items()]
        missing = [p for p in locked if installed_provider(self.data_dir, *p) is None]
        if missing:
            return "provider not installed: " + ", ".join(f"{a} {v}" for a, v in missing)
        return None

    def ensure_init(self, *, backend: bool = True) -> bool:
        """``terraform init`` unless :meth:`init_needed` proves it unnecessary; True if it ran."""
        if self.init_needed(backend=backend) is None:
            return False
        self.init(backend=backend)
        return True

    def _init_inputs(self, *, backend: bool) -> dict[str, str]:
        """What ``terraform init`` reads, each as a digest (the marker's content)."""
        env = self._tf.environment()
        binary = Path(self._tf.terraform_bin_path)
        st = binary.stat()
        cli_config = env.get("TF_CLI_CONFIG_FILE") or str(Path("~/.terraformrc").expanduser())
        manifest = self.data_dir / "modules" / "modules.json"
        module_dirs = {self.workdir.resolve()}
        if manifest.is_file():
            for mod in json.loads(manifest.read_text()).get("Modules") or []:
                module_dirs.add((self.workdir / mod.get("Dir", ".")).resolve())
        return {
            "terraform": f"{binary.resolve()} {st.st_size} {st.st_mtime_ns}",
            "workdir": str(self.workdir.resolve()),
            "backend": json.dumps([backend, sorted(self.backend_config.items()) if backend else None]),
            "cli_config": f"{cli_config} {_digest_file(Path(cli_config))}",
            "environment": json.dumps([env.get(k, "") for k in _INIT_ENVIRONMENT]),
            "lock_file": _digest_file(self.workdir / ".terraform.lock.hcl"),
            "modules": _digest_file(manifest),
            "configuration": _digest_files(
                f for d in sorted(module_dirs) for pattern in ("*.tf", "*.tf.json") for f in d.glob(pattern)
            ),
        }

    def test(self, files: Sequence[str] = ()) -> str:
        """``terraform test`` (module tests with mock providers), of only ``files`` (paths relative to
        the configuration, e.g. ``tests/defaults.tftest.hcl``) when given; returns its output."""
        _, out, _ = self._run(
            "test", "test", no_color=IsFlagged, filter=list(files) or None, on_line=self._echo
        )
        return out

    def _echo(self, line: str) -> None:
        if self.progress:
            self.progress(line.rstrip("\n"))

    def validate(self) -> dict[str, Any]:
        _, out, _ = self._run("validate", "validate", json=IsFlagged, no_color=IsFlagged, ok=(0, 1))
        result = json.loads(out)
        if not result.get("valid"):
            raise TerraformError(
                "terraform validate found errors",
                diagnostics=result.get("diagnostics", []),
                log_path=self.log_path,
            )
        return result

    def plan(self, *, destroy: bool = False, out: Path | None = None, refresh: bool = True) -> Plan:
        """Plan into a file; its JSON is read back when first used (see :class:`Plan`). Variable
        validation fails here. Each plan gets a file of its own (``apply.tfplan``, then
        ``apply-2.tfplan``, ...): a plan whose JSON is not read yet must not be overwritten by the next."""
        out = out or _free_path(self.run_dir, "destroy" if destroy else "apply", ".tfplan", self._plan_files)
        self._plan_files.add(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        collector = _PlanStream()
        opts = self._with_vars(
            {
                "out": str(out),
                "json": IsFlagged,
                "destroy": IsFlagged if destroy else IsNotFlagged,
                "refresh": None if refresh else False,
                "detailed_exitcode": IsFlagged,
                "lock_timeout": "60s",
            }
        )
        rc, _, _ = self._run("plan", "plan", ok=(0, 2), on_line=collector, **opts)
        streamed = collector.changes() if rc == 2 else None
        changes, outputs = streamed if streamed is not None else (None, None)
        return Plan(out, load=lambda: self.show(out), empty=rc == 0, changes=changes, outputs=outputs)

    def show(self, plan_file: Path | None = None) -> dict[str, Any]:
        args = [str(plan_file)] if plan_file else []
        _, out, _ = self._run("show", "show", *args, json=IsFlagged, no_color=IsFlagged)
        return json.loads(out) if out.strip() else {}

    def apply(self, plan: Plan | None = None) -> ApplyResult:
        """Apply a saved plan (no approval prompt), printing progress against its total."""
        plan = plan or self.plan()
        printer = _ProgressPrinter(plan.total_steps, self.progress)
        start = time.monotonic()
        if plan.total_steps == 0 and not plan.output_changes:
            return ApplyResult(0, 0, 0.0, plan.summary())
        opts = {"json": IsFlagged, "input": False, "no_color": IsFlagged, "lock_timeout": "60s"}
        self._run("apply", "apply", str(plan.path), on_line=printer, **opts)
        return ApplyResult(plan.total_steps, printer.done, time.monotonic() - start, plan.summary())

    def destroy(self) -> ApplyResult:
        """Plan a destroy, then apply it with progress (never ``-force``)."""
        plan = self.plan(destroy=True)
        return self.apply(plan)

    def output(self) -> dict[str, Any]:
        """``terraform output -json`` as plain values.

        With the local backend at the configured path (as ``init`` recorded it, default workspace),
        the root outputs are read from that state file, which is what ``terraform output`` prints,
        without starting Terraform (~0.4 CPU-second a call, and a run reads outputs often). Any other
        backend, a workspace, an unreadable or unknown state format: ``terraform output``."""
        state = self._local_state_file()
        if state is not None:
            values = _state_outputs(state)
            if values is not None:
                return values
        _, out, _ = self._run("output", "output", json=IsFlagged, no_color=IsFlagged)
        raw = json.loads(out) if out.strip() else {}
        return {name: item.get("value") for name, item in raw.items()}

    def _local_state_file(self) -> Path | None:
        """The state file ``terraform output`` would read, when that is provably the local backend's
        file at ``backend_config["path"]`` in the default workspace; else None."""
        configured = self.backend_config.get("path")
        if not configured:
            return None
        try:
            record = json.loads((self.data_dir / "terraform.tfstate").read_text())
        except (OSError, ValueError):
            return None
        backend = record.get("backend") if isinstance(record, dict) else None
        config = (backend or {}).get("config") or {}
        if (backend or {}).get("type") != "local" or config.get("workspace_dir"):
            return None
        if Path(self.workdir, str(config.get("path") or "")) != Path(self.workdir, configured):
            return None  # init recorded another path: Terraform would ask for init again
        workspace = self._tf.environment().get("TF_WORKSPACE") or ""
        with contextlib.suppress(OSError):
            workspace = workspace or (self.data_dir / "environment").read_text().strip()
        if workspace not in ("", "default"):
            return None
        return Path(self.workdir, configured)

    def version(self) -> dict[str, Any]:
        """``terraform version -json`` (Terraform and the providers this configuration uses)."""
        _, out, _ = self._run("version", "version", json=IsFlagged)
        return json.loads(out)

    def state(self) -> dict[str, Any]:
        """The current state as ``terraform show -json`` prints it ({} when there is none)."""
        return self.show()

    def state_serial(self) -> int | None:
        """The state's serial number (``terraform state pull``), or None when there is no state."""
        _, out, _ = self._run("state pull", "state pull")
        if not out.strip():
            return None
        return json.loads(out).get("serial")


def _digest_file(path: Path) -> str:
    """SHA-256 of a file's bytes, or ``absent``."""
    try:
        return sha256_file(path)
    except FileNotFoundError:
        return "absent"


def _digest_files(paths: Iterable[Path]) -> str:
    """One SHA-256 over several files' paths and contents (order-independent)."""
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        h.update(f"{path}\0{_digest_file(path)}\0".encode())
    return h.hexdigest()


#: ``provider "registry.terraform.io/hashicorp/aws" {`` then ``version = "5.100.0"`` in a lock file.
_LOCKED = re.compile(
    r'^provider\s+"([^"]+)"\s*\{\s*\n\s*version\s*=\s*"([^"]+)"(.*?)^\}', re.MULTILINE | re.DOTALL
)


def _locked_providers(workdir: Path) -> dict[str, tuple[str, list[str]]]:
    """Every provider the dependency lock file pins: its address -> (version, ``h1:`` checksums)."""
    lock = workdir / ".terraform.lock.hcl"
    text = lock.read_text() if lock.is_file() else ""
    return {
        address: (version, re.findall(r'"(h1:[^"]+)"', rest))
        for address, version, rest in _LOCKED.findall(text)
    }


def _state_outputs(state: Path) -> dict[str, Any] | None:
    """Root outputs of a state file (version 4) as plain values; {} without a state; None when the file
    cannot be read as such (e.g. caught mid-write): the caller asks Terraform instead."""
    try:
        text = state.read_text()
    except FileNotFoundError:
        return {}
    except OSError:
        return None
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return None
    outputs = data.get("outputs") if isinstance(data, dict) and data.get("version") == 4 else None
    if not isinstance(outputs, dict):
        return None
    return {name: item.get("value") for name, item in outputs.items() if isinstance(item, dict)}


def _free_path(folder: Path, stem: str, suffix: str, taken: set[Path]) -> Path:
    """``folder/stem+suffix``, or ``stem-2``, ``stem-3``... when that file exists or was handed out."""
    path, n = folder / f"{stem}{suffix}", 1
    while path in taken or path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


def _diagnostics_from(out: str) -> list[dict[str, Any]]:
    diags = []
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if isinstance(msg, dict) and msg.get("type") == "diagnostic":
            diags.append(msg.get("diagnostic", {}))
    return diags

"""The platform's lifecycle: plan, apply and destroy of the root configuration on a target.

This is where the harness decides *what* to run; ``harness.terraform`` is the one place that runs it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.errors import TargetError, UsageError
from harness.layout import REPO_ROOT as REPO_ROOT  # re-exported for callers of harness.provisioning
from harness.layout import Layout as Layout
from harness.layout import layout_from_env as layout_from_env
from harness.progress import Progress, TerraformApplied, TerraformCall, TerraformPlanned
from harness.statelock import state_lock
from harness.target import Target
from harness.terraform import (
    ApplyResult,
    Plan,
    TerraformError,
    TerraformRunner,
    cli_config_env,
    sharing_enabled,
)

TerraformObserver = Callable[[TerraformCall], None]
_observers: list[TerraformObserver] = []


@contextlib.contextmanager
def observe_terraform(observer: TerraformObserver) -> Iterator[None]:
    """Subscribe to every plan/apply/destroy of every Platform for the block: ``observer`` gets a
    :class:`~harness.progress.TerraformCall` after each (bench separates Terraform's time from the
    harness's this way, instead of swapping the class's methods)."""
    _observers.append(observer)
    try:
        yield
    finally:
        _observers.remove(observer)


def notify_observers(event: TerraformCall) -> None:
    """Hand one timed Terraform call to every :func:`observe_terraform` observer (Platform does, after
    each plan/apply/destroy)."""
    for observer in list(_observers):
        observer(event)


def _report(call: str, started: float, terraform_seconds: float | None) -> None:
    wall = time.monotonic() - started
    notify_observers(TerraformCall(call, wall, wall if terraform_seconds is None else terraform_seconds))


def declared_variables(terraform_dir: Path) -> set[str]:
    """Names of the root configuration's ``variable`` blocks."""
    names: set[str] = set()
    for tf in terraform_dir.glob("*.tf"):
        names.update(re.findall(r'^variable\s+"([^"]+)"', tf.read_text(), flags=re.MULTILINE))
    return names


def tfvars_names(path: Path) -> list[str]:
    """Top-level names a tfvars file sets (``.tfvars.json``: the object's keys; HCL: ``name =`` lines)."""
    text = path.read_text()
    if path.name.endswith(".json"):
        try:
            data = json.loads(text or "{}")
        except ValueError as exc:
            raise UsageError(f"{path}: not valid JSON: {exc}") from exc
        return list(data) if isinstance(data, dict) else []
    return re.findall(r"^([A-Za-z_][A-Za-z0-9_-]*)\s*=", text, flags=re.MULTILINE)


def new_run_dir(layout: Layout, command: str) -> Path:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    run = layout.runs_dir / f"{stamp}-{command}"
    run.mkdir(parents=True, exist_ok=True)
    return run


class Platform:
    """The root configuration on one target."""

    def __init__(
        self,
        target: Target,
        *,
        layout: Layout | None = None,
        run_dir: Path | None = None,
        variables: Mapping[str, Any] | None = None,
        var_files: list[Path] | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.target = target
        self.layout = layout or Layout()
        self.progress = progress or (lambda _msg: None)
        self.run_dir = run_dir or new_run_dir(self.layout, "terraform")
        state_dir = self.layout.state_dir(target.name)
        state_dir.mkdir(parents=True, exist_ok=True)
        self.state_file = state_dir / "terraform.tfstate"
        self.data_dir = self.layout.cache_dir / "terraform" / target.name
        env = target.subprocess_env()
        env.update(cli_config_env(self.layout.cache_dir))
        files = list(var_files) if var_files is not None else [self.layout.var_file(target.name)]
        release = self.layout.release_file(target.name)
        if release.exists() and release not in files:
            files.append(release)
        self.runner = TerraformRunner(
            self.layout.terraform_dir,
            run_dir=self.run_dir,
            env=env,
            var_files=[f for f in files if f.exists()],
            variables=variables,
            backend_config={"path": str(self.state_file)},
            data_dir=self.data_dir,
            progress=self.progress,
        )
        # one AWS provider process for the Terraform commands of a harness command (see
        # harness.terraform.SharedProviders): on the local target unless TF_SHARED_PROVIDER=0
        self.runner.share_provider = sharing_enabled(local=target.is_local)
        if target.is_local and target.emulator is not None:
            self.runner.watchdog = self._emulator_stopped
        self._held = 0
        self._initialized = False
        #: The plan of the platform when this object's last ``apply`` had nothing to do; None until an
        #: apply ran, and after one that changed something (see ``apply``).
        self.converged_plan: Plan | None = None

    @contextlib.contextmanager
    def _exclusive(self, what: str) -> Iterator[None]:
        """The state's lock for one command (re-entered by ``apply`` -> ``plan``): see harness.statelock."""
        if self._held:
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
            return
        with state_lock(
            self.state_file.parent, progress=self.progress, command=f"terraform {what} ({self.target.name})"
        ):
            self._held = 1
            try:
                yield
            finally:
                self._held = 0

    # -- stale state (the local emulator keeps no state across restarts) ---------------------------

    @property
    def _marker(self) -> Path:
        return self.state_file.with_name("emulator.id")

    def _emulator_id(self) -> str | None:
        info = self.target.emulator
        return getattr(info, "instance_id", None) if info is not None else None

    def drop_stale_state(self) -> bool:
        """If the state belongs to an emulator instance that is gone, set it aside. True if it did.

        Decided only under the state's lock (``plan`` and ``destroy`` hold it), so never while another
        command is still writing the state."""
        if not self.target.is_local or not self.state_file.exists():
            return False
        current = self._emulator_id()
        recorded = self._marker.read_text().strip() if self._marker.exists() else None
        if current is None or recorded == current:
            return False
        if not json.loads(self.state_file.read_text() or "{}").get("resources"):
            self._record_emulator()  # an empty state (e.g. after destroy) belongs to any instance
            return False
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        aside = self.state_file.with_name(f"terraform.tfstate.stale-{stamp}")
        shutil.move(self.state_file, aside)
        backup = self.state_file.with_name("terraform.tfstate.backup")
        if backup.exists():
            backup.unlink()
        self.progress(
            f"the state belonged to an emulator instance that has stopped ({recorded or 'unknown'}); "
            f"set aside as {aside.name}, converging from scratch"
        )
        return True

    def _record_emulator(self) -> None:
        current = self._emulator_id()
        if current is not None:
            self._marker.write_text(current + "\n")

    # -- lifecycle --------------------------------------------------------------------------------

    def init(self) -> None:
        self.progress(f"terraform init ({self.target.name})")
        self.runner.init()
        self._initialized = True

    def _ensure_init(self) -> None:
        """``terraform init`` at most once per Platform object, and not at all when the data directory
        is already initialised from the same configuration, lock file, modules, backend and Terraform
        (:meth:`~harness.terraform.TerraformRunner.init_needed` states the rule): init is idempotent
        but costs a CPU-second or more each time, and every command of a run builds a Platform."""
        if self._initialized:
            return
        if self.runner.init_needed() is None:
            self._initialized = True
            return
        self.init()

    def _emulator_stopped(self) -> str | None:
        """Terraform's watchdog on the local target: the emulator process has gone (cheap: no request)."""
        from harness.emulator import control

        info = self.target.emulator
        if not control.still_running(info):
            return f"the embedded local AWS (pid {info.pid}) has stopped"
        return None

    def _emulator_gone(self) -> bool:
        """True on the local target when the emulator this run started with no longer answers."""
        info = self.target.emulator
        if not self.target.is_local or info is None:
            return False
        from harness.emulator import control

        st = control.status(info.state_dir)
        return not (st.running and st.answering and st.pid == info.pid)

    def _explain(self, exc: TerraformError, what: str) -> TargetError | TerraformError:
        """A Terraform failure because the emulator died under it, said as such."""
        if not self._emulator_gone():
            return exc
        return TargetError(
            f"the embedded local AWS ({self.target.endpoint_url}) stopped during terraform {what}; "
            f"Terraform stopped with it (log: {exc.log_path})",
            hint="run `make apply` again: it starts a new emulator, sets the state of the stopped one "
            "aside and converges from scratch",
        )

    def check_variables(self) -> None:
        """Every value given (``--var``, tfvars files) must set a declared root variable.

        Terraform only warns about an undeclared variable in a variables file (and python-terraform
        passes ``--var`` values as one), so a typo would silently keep the default: refuse it here.
        """
        declared = declared_variables(self.layout.terraform_dir)
        given = [(name, "--var") for name in self.runner.variables]
        for path in self.runner.var_files:
            given += [(name, str(path)) for name in tfvars_names(path)]
        unknown = [(n, where) for n, where in given if n not in declared]
        if unknown:
            listed = "; ".join(f"{n!r} (from {where})" for n, where in unknown)
            raise UsageError(
                f"undeclared root variable(s): {listed}",
                hint=f"the root configuration declares: {', '.join(sorted(declared))} "
                f"(see {self.layout.terraform_dir / 'variables.tf'})",
            )

    def plan(self, *, destroy: bool = False, refresh: bool = True) -> Plan:
        """``refresh=False``: compare the configuration with the state as recorded, without reading
        every resource back (for a caller that refreshed it moments ago, or right after an apply)."""
        started = time.monotonic()
        with self._exclusive("destroy" if destroy else "plan"):
            plan = self._plan(destroy=destroy, refresh=refresh)
        _report("plan", started, None)
        return plan

    def _plan(self, *, destroy: bool, refresh: bool = True) -> Plan:
        self.check_variables()
        if self.drop_stale_state():
            self._retire_release()
            self.runner.drop_var_file(self.layout.release_file(self.target.name))
        try:
            self._ensure_init()
            plan = self.runner.plan(destroy=destroy, refresh=refresh)
        except TerraformError as exc:
            raise self._explain(exc, "plan") from exc
        s = plan.summary()
        self.progress(TerraformPlanned(s["add"], s["change"], s["destroy"], refreshed=refresh))
        return plan

    def apply(self, *, refresh: bool = True) -> ApplyResult:
        """Converge the platform. ``refresh=False``: plan against the state as recorded (the caller
        refreshed it earlier in the same run). :attr:`converged_plan` is the plan when it had nothing
        to do; after changes, a caller that needs the converged plan (a scanner) plans again without
        refreshing, when it needs it."""
        started = time.monotonic()
        with self._exclusive("apply"):
            result = self._apply(refresh=refresh)
        _report("apply", started, result.seconds)
        return result

    def _apply(self, *, refresh: bool = True) -> ApplyResult:
        self.converged_plan = None
        plan = self.plan(refresh=refresh)
        if not plan.has_changes:
            self.progress("no changes: the platform matches the configuration")
            self._record_emulator()
            self.converged_plan = plan
            return ApplyResult(0, 0, 0.0, plan.summary())
        self.progress(f"applying {plan.total_steps} changes")
        # the state about to be written belongs to this emulator instance, even if the apply is cut short
        self._record_emulator()
        try:
            result = self.runner.apply(plan)
        except TerraformError as exc:
            raise self._explain(exc, "apply") from exc
        finally:
            self._record_emulator()
        self.progress(TerraformApplied("apply", result.done, result.planned, result.seconds))
        return result

    def destroy(self) -> ApplyResult:
        started = time.monotonic()
        with self._exclusive("destroy"):
            result = self._destroy()
        _report("destroy", started, result.seconds)
        return result

    def _destroy(self) -> ApplyResult:
        if self.drop_stale_state():
            self._retire_release()
            self.progress("nothing to destroy on this emulator instance")
            return ApplyResult(0, 0, 0.0, {"add": 0, "change": 0, "destroy": 0})
        plan = self.plan(destroy=True)
        group = (self.runner.output() or {}).get("model_package_group_name") if plan.total_steps else None
        if group:
            from harness.workflow import retire_registry

            retire_registry(self.target, group, self.progress)
        if not plan.total_steps:
            self.progress("nothing to destroy")
            return ApplyResult(0, 0, 0.0, plan.summary())
        self.progress(f"destroying {plan.total_steps} resources")
        try:
            result = self.runner.apply(plan)
        except TerraformError as exc:
            raise self._explain(exc, "destroy") from exc
        self._retire_release()
        self.progress(TerraformApplied("destroy", result.done, result.planned, result.seconds))
        return result

    def _retire_release(self) -> None:
        release = self.layout.release_file(self.target.name)
        if release.exists():
            release.rename(release.with_name(release.name + ".destroyed"))

    def outputs(self) -> dict[str, Any]:
        """The platform's outputs; without ``init`` when the working directory was initialised before
        (reading outputs needs only the backend; init costs seconds per call), and read from the local
        backend's state file without starting Terraform (see ``TerraformRunner.output``)."""
        if not self._initialized and (self.data_dir / "terraform.tfstate").is_file():
            with contextlib.suppress(TerraformError):
                return self.runner.output()
        self._ensure_init()
        return self.runner.output()

    def state_serial(self) -> int | None:
        """The state's serial, None before the first apply: read from the local backend's state file
        (what ``terraform state pull`` prints, without starting Terraform), else from Terraform."""
        if self.state_file.is_file():
            with contextlib.suppress(ValueError, OSError):
                return json.loads(self.state_file.read_text() or "{}").get("serial")
        return self.runner.state_serial()

"""IAM policy lint: parliament over every IAM, KMS, S3, SNS and VPC endpoint policy rendered in the plan.

Trust policies are left out: parliament reads identity policies, where a Principal is malformed, so it
reports every trust policy as MALFORMED; the IQ scenarios read the live trust policies instead
(URS_001, URS_055) and checkov checks them statically.

checkov checks resources; parliament reads the policy documents themselves (unknown actions, actions
that need a resource the policy does not give, condition keys an action does not support, ``*``
resources where the action supports scoping, ...). It lives in ``.venv-checkov`` beside checkov and
runs as one process over all policies (:mod:`harness.validation.parliament_run`).

Every finding fails the gate unless it is reasoned next to its policy: a comment in the Terraform
block of the resource that carries the policy,

    #policy-lint:skip=RESOURCE_STAR:in a key policy Resource "*" is the key itself

(the issue code, then the reason), the way checkov's inline suppressions work. Reasons are carried
into the results, so an auditor reads why. Policies that are not known until apply (they name an ARN
created in the same run) are listed as unrendered; the plan of an applied platform renders them all.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.processes import run_captured
from harness.progress import Progress

#: Runs one command, output captured as text (``harness.processes.run_captured`` or ``Children.run``).
Runner = Callable[[list[str]], "subprocess.CompletedProcess[str]"]

#: resource type -> (attribute holding a policy document, what kind of policy it is)
POLICY_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "aws_iam_role_policy": ("policy", "identity policy"),
    "aws_iam_policy": ("policy", "identity policy"),
    "aws_iam_user_policy": ("policy", "identity policy"),
    "aws_iam_group_policy": ("policy", "identity policy"),
    "aws_kms_key": ("policy", "key policy"),
    "aws_s3_bucket_policy": ("policy", "bucket policy"),
    "aws_sns_topic_policy": ("policy", "topic policy"),
    "aws_vpc_endpoint": ("policy", "endpoint policy"),
}

SKIP = re.compile(r"#\s*policy-lint:skip=([A-Z0-9_]+):\s*(.+?)\s*$", re.M)


class LintError(HarnessError):
    """The policy lint could not run (parliament missing, crashed, unreadable output)."""


@dataclasses.dataclass
class LintFinding:
    policy: str  # the plan address of the resource carrying the policy
    kind: str
    issue: str
    severity: str
    title: str
    detail: Any
    location: dict[str, Any]
    reason: str | None = None  # the inline reason of a reasoned finding


@dataclasses.dataclass
class LintResult:
    """Like checkov's ScanResult: ``ok``, ``totals()``, ``to_dict()``."""

    tool: str
    version: str
    policies: list[str]
    unrendered: list[str]
    findings: list[LintFinding]
    reasoned: list[LintFinding]
    output_dir: str

    @property
    def ok(self) -> bool:
        return not self.findings

    def totals(self) -> dict[str, int]:
        return {
            "policies": len(self.policies),
            "findings": len(self.findings),
            "reasoned": len(self.reasoned),
            "unrendered": len(self.unrendered),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tool": self.tool,
            "version": self.version,
            "totals": self.totals(),
            "policies": self.policies,
            "unrendered": self.unrendered,
            "findings": [dataclasses.asdict(f) for f in self.findings],
            "reasoned": [dataclasses.asdict(f) for f in self.reasoned],
            "output_dir": self.output_dir,
        }


# -- the plan ---------------------------------------------------------------------------------------


def _resources(module: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


def rendered_policies(plan: Mapping[str, Any]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """``{address: (kind, policy JSON)}`` of the plan's policies, and the addresses not yet known."""
    found: dict[str, tuple[str, str]] = {}
    unknown: list[str] = []
    for resource in _resources(plan.get("planned_values", {}).get("root_module", {})):
        spec = POLICY_ATTRIBUTES.get(resource.get("type", ""))
        if spec is None or resource.get("mode") == "data":
            continue
        attribute, kind = spec
        value = (resource.get("values") or {}).get(attribute)
        if isinstance(value, str) and value.strip():
            found[resource["address"]] = (kind, value)
        elif value is None and attribute in _after_unknown(plan, resource["address"]):
            unknown.append(resource["address"])
    return found, unknown


def _after_unknown(plan: Mapping[str, Any], address: str) -> set[str]:
    for change in plan.get("resource_changes", []):
        if change.get("address") == address:
            return {k for k, v in (change.get("change", {}).get("after_unknown") or {}).items() if v is True}
    return set()


# -- reasons next to the policies -------------------------------------------------------------------


def _module_dirs(plan: Mapping[str, Any], terraform_dir: Path) -> dict[str, Path]:
    """``module.a.module.b`` -> the directory of its source (root: ``""`` -> terraform_dir)."""
    dirs = {"": terraform_dir}

    def walk(config: Mapping[str, Any], prefix: str, base: Path) -> None:
        for name, call in (config.get("module_calls") or {}).items():
            path = (base / call.get("source", "")).resolve()
            key = f"{prefix}module.{name}"
            dirs[key] = path
            walk(call.get("module") or {}, f"{key}.", path)

    walk(plan.get("configuration", {}).get("root_module", {}), "", terraform_dir)
    return dirs


def _split_address(address: str) -> tuple[str, str, str]:
    """``module.iam.aws_iam_role_policy.execution["x"]`` -> (``module.iam``, type, name)."""
    bare = re.sub(r"\[[^\]]*\]", "", address)
    parts = bare.split(".")
    prefix = ".".join(parts[:-2])
    return prefix, parts[-2], parts[-1]


def _block(text: str, header: str) -> str | None:
    start = text.find(header)
    if start < 0:
        return None
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[start : j + 1]
    return text[start:]


def reasons(address: str, module_dirs: Mapping[str, Path]) -> dict[str, str]:
    """``{issue: reason}`` from the ``#policy-lint:skip=`` comments of the resource's block."""
    prefix, rtype, name = _split_address(address)
    directory = module_dirs.get(prefix)
    if directory is None or not directory.is_dir():
        return {}
    header = f'resource "{rtype}" "{name}"'
    for path in sorted(directory.glob("*.tf")):
        block = _block(path.read_text(encoding="utf-8"), header)
        if block is not None:
            return {m.group(1): m.group(2) for m in SKIP.finditer(block)}
    return {}


# -- running parliament -----------------------------------------------------------------------------


def find_python(repo_root: Path) -> str:
    candidate = repo_root / ".venv-checkov" / "bin" / "python"
    if candidate.exists():
        return str(candidate)
    raise LintError(
        "parliament's environment (.venv-checkov) is missing",
        hint="run `make setup` (it installs requirements-checkov.txt, parliament included)",
    )


def run_parliament(
    python: str, policies: Mapping[str, str], work: Path, *, runner: Runner = run_captured
) -> tuple[str, dict[str, list[Any]]]:
    items = [{"id": k, "policy": v} for k, v in policies.items()]
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=work, delete=False) as handle:
        json.dump(items, handle)
    script = Path(__file__).with_name("parliament_run.py")
    proc = runner([python, str(script), handle.name])
    Path(handle.name).unlink(missing_ok=True)
    (work / "parliament.log").write_text(f"$ {python} {script} <{len(items)} policies>\n{proc.stderr}")
    if proc.returncode != 0:
        raise LintError(
            f"parliament failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}",
            hint=f"see {work / 'parliament.log'}; reinstall with `make setup`",
        )
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError as exc:
        raise LintError(
            f"parliament's output is not JSON: {exc}", hint=f"see {work / 'parliament.log'}"
        ) from exc
    return str(data.get("version", "")), data.get("results", {})


def lint(
    repo_root: Path,
    out_dir: Path,
    *,
    plan: Mapping[str, Any],
    terraform_dir: Path | None = None,
    progress: Progress | None = None,
    runner: Runner = run_captured,
) -> LintResult:
    """parliament over the plan's policies; results in ``out_dir/policy-lint.json``. ``runner`` runs
    the parliament process (``harness.processes.Children.run``: one that can be stopped)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    policies, unknown = rendered_policies(plan)
    if progress:
        progress(f"policy lint: parliament over {len(policies)} policies rendered in the plan ...")
    version, results = run_parliament(
        find_python(repo_root), {a: p for a, (_, p) in policies.items()}, out_dir, runner=runner
    )
    dirs = _module_dirs(plan, terraform_dir or repo_root / "terraform")
    findings: list[LintFinding] = []
    reasoned: list[LintFinding] = []
    for address, items in sorted(results.items()):
        why = reasons(address, dirs) if items else {}
        for item in items:
            finding = LintFinding(
                policy=address,
                kind=policies[address][0],
                issue=item["issue"],
                severity=item.get("severity") or "",
                title=item.get("title") or "",
                detail=item.get("detail"),
                location=item.get("location") or {},
                reason=why.get(item["issue"]),
            )
            (reasoned if finding.reason else findings).append(finding)
    result = LintResult(
        tool="parliament",
        version=version,
        policies=sorted(policies),
        unrendered=sorted(unknown),
        findings=findings,
        reasoned=reasoned,
        output_dir=str(out_dir),
    )
    (out_dir / "policy-lint.json").write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    if progress:
        for f in findings:
            progress(f"  FAILED {f.issue} ({f.severity}) {f.policy}: {f.title} {f.detail}")
    return result


def load(out_dir: Path) -> LintResult:
    """The result of a lint whose folder was copied to ``out_dir`` (a previous run's, reused), read
    back from its ``policy-lint.json``, which is rewritten for the new place."""
    try:
        data = json.loads((out_dir / "policy-lint.json").read_text())
        result = LintResult(
            tool=data["tool"],
            version=data["version"],
            policies=list(data["policies"]),
            unrendered=list(data["unrendered"]),
            findings=[LintFinding(**f) for f in data["findings"]],
            reasoned=[LintFinding(**f) for f in data["reasoned"]],
            output_dir=str(out_dir),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LintError(f"the policy lint results in {out_dir} are unreadable: {exc}") from exc
    (out_dir / "policy-lint.json").write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    return result

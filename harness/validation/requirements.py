"""User requirements (URS): ``features/requirements.yaml`` loaded and checked.

Every defect is reported at once (duplicate ids, bad ids, missing fields, unknown risk or source), so
a reviewer fixes the file in one pass.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.validation.errors import RequirementsError

ID_PATTERN = re.compile(r"^URS_\d{3}$")
#: Tags that look like requirement ids (used to pick requirement markers among a scenario's tags).
TAG_PATTERN = re.compile(r"^URS_\d{3}$")
RISKS = ("high", "medium", "low")
#: The sections of the seed document a requirement comes from.
SOURCES = (
    "IAM",
    "Data",
    "Training",
    "Endpoint",
    "Governance & Security",
    "Validation & Outputs",
    "Performance",
    "Enhancements",
)
REQUIRED_FIELDS = ("id", "statement", "risk", "source")
OPTIONAL_FIELDS = ("checks", "criterion", "thresholds")
#: A threshold's value: a number or a string, or per environment ``{default: X, <environment>: Y}``.
Scalar = int | float | str | bool
DEFAULT_PATH = Path("features") / "requirements.yaml"


@dataclasses.dataclass(frozen=True)
class Requirement:
    id: str
    statement: str
    risk: str
    source: str
    checks: tuple[str, ...] = ()
    #: The acceptance criterion in words (what a reviewer reads).
    criterion: str = ""
    #: The numbers (or strings) the steps compare against: name -> value, or name -> {default:, <env>:}.
    thresholds: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def threshold(self, name: str, environment: str | None = None) -> Any:
        """The value of threshold ``name``, for ``environment`` where the specification distinguishes one."""
        if name not in self.thresholds:
            raise RequirementsError(
                f"{self.id} has no threshold {name!r} in the specification "
                f"(it has: {', '.join(sorted(self.thresholds)) or 'none'})"
            )
        value = self.thresholds[name]
        if isinstance(value, Mapping):
            if environment is not None and environment in value:
                return value[environment]
            if "default" not in value:
                raise RequirementsError(
                    f"{self.id} threshold {name!r}: no value for environment {environment!r}, no default"
                )
            return value["default"]
        return value

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "risk": self.risk,
            "source": self.source,
            "checks": list(self.checks),
            "criterion": self.criterion,
            "thresholds": dict(self.thresholds),
        }


@dataclasses.dataclass(frozen=True)
class RequirementSet:
    """The loaded requirements, in file order, with where they came from."""

    requirements: tuple[Requirement, ...]
    origin: str = ""
    sha256: str = ""
    #: The specification's version and change history (``version:`` and ``history:`` of the file).
    version: str = ""
    history: tuple[Mapping[str, Any], ...] = ()

    def __iter__(self) -> Any:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.requirements]

    def get(self, req_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == req_id), None)

    def threshold(self, req_id: str, name: str, environment: str | None = None) -> Any:
        """Threshold ``name`` of requirement ``req_id`` (for ``environment`` where it differs)."""
        req = self.get(req_id)
        if req is None:
            raise RequirementsError(f"no requirement {req_id} in the specification {self.origin}")
        return req.threshold(name, environment)

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "sha256": self.sha256,
            "version": self.version,
            "history": [dict(h) for h in self.history],
            "requirements": [r.to_dict() for r in self.requirements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequirementSet:
        return parse_requirements(
            {
                "requirements": data.get("requirements", []),
                "version": data.get("version", ""),
                "history": data.get("history", []),
            },
            origin=str(data.get("origin", "")),
            sha256=str(data.get("sha256", "")),
        )


def requirement_tags(tags: Iterable[str]) -> list[str]:
    """The requirement ids among a scenario's tags (``@URS_012`` -> ``URS_012``), sorted."""
    return sorted({t.lstrip("@") for t in tags if TAG_PATTERN.match(t.lstrip("@"))})


def parse_requirements(data: Any, *, origin: str = "<data>", sha256: str = "") -> RequirementSet:
    """Check and convert the parsed YAML document (``{"requirements": [...]}``)."""
    problems: list[str] = []
    if not isinstance(data, Mapping) or not isinstance(data.get("requirements"), list):
        raise RequirementsError(f"{origin}: expected a mapping with a 'requirements' list")
    items = data["requirements"]
    if not items:
        problems.append("the 'requirements' list is empty")
    seen: dict[str, int] = {}
    out: list[Requirement] = []
    for index, item in enumerate(items, start=1):
        where = f"requirement #{index}"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: expected a mapping, got {type(item).__name__}")
            continue
        req_id = item.get("id")
        if isinstance(req_id, str):
            where = f"{where} ({req_id})"
        for name in REQUIRED_FIELDS:
            value = item.get(name)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"{where}: field '{name}' is missing or empty")
        unknown = sorted(set(item) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
        if unknown:
            problems.append(f"{where}: unknown field(s) {', '.join(map(str, unknown))}")
        if isinstance(req_id, str):
            if not ID_PATTERN.match(req_id):
                problems.append(f"{where}: id {req_id!r} does not match {ID_PATTERN.pattern}")
            if req_id in seen:
                problems.append(f"{where}: duplicate id {req_id} (first at requirement #{seen[req_id]})")
            else:
                seen[req_id] = index
        risk = item.get("risk")
        if isinstance(risk, str) and risk not in RISKS:
            problems.append(f"{where}: risk {risk!r} is not one of {', '.join(RISKS)}")
        source = item.get("source")
        if isinstance(source, str) and source not in SOURCES:
            problems.append(f"{where}: source {source!r} is not one of {', '.join(SOURCES)}")
        checks = item.get("checks", [])
        if not isinstance(checks, list) or not all(isinstance(c, str) for c in checks):
            problems.append(f"{where}: 'checks' must be a list of check ids")
            checks = []
        criterion = item.get("criterion", "")
        if not isinstance(criterion, str):
            problems.append(f"{where}: 'criterion' must be text")
            criterion = ""
        thresholds = item.get("thresholds", {}) or {}
        if not isinstance(thresholds, Mapping):
            problems.append(f"{where}: 'thresholds' must be a mapping of name -> value")
            thresholds = {}
        for name, value in thresholds.items():
            values = value.values() if isinstance(value, Mapping) else [value]
            if not all(isinstance(v, Scalar) for v in values):
                problems.append(f"{where}: threshold {name!r} must be a number or text (or one per env)")
        if all(isinstance(item.get(n), str) and item.get(n).strip() for n in REQUIRED_FIELDS):
            out.append(
                Requirement(
                    id=item["id"],
                    statement=" ".join(item["statement"].split()),
                    risk=item["risk"],
                    source=item["source"],
                    checks=tuple(checks),
                    criterion=" ".join(criterion.split()),
                    thresholds=dict(thresholds),
                )
            )
    history = data.get("history", []) or []
    if not isinstance(history, list) or not all(isinstance(h, Mapping) for h in history):
        problems.append("'history' must be a list of mappings (version, date, change)")
        history = []
    if problems:
        raise RequirementsError(f"{origin}: {len(problems)} problem(s) in the requirements", problems)
    return RequirementSet(
        tuple(out),
        origin=origin,
        sha256=sha256,
        version=str(data.get("version", "") or ""),
        # YAML reads an unquoted date as a date: keep the text, so the set stays plain JSON
        history=tuple(
            {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in h.items()} for h in history
        ),
    )


def load_requirements(path: str | Path = DEFAULT_PATH) -> RequirementSet:
    """Read, parse and check a requirements file; raises :class:`RequirementsError` with every defect."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RequirementsError(f"cannot read requirements file {path}: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise RequirementsError(f"{path}: not valid YAML: {exc}") from exc
    return parse_requirements(data, origin=str(path), sha256=hashlib.sha256(raw).hexdigest())

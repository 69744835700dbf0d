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
SOURCES = ("IAM", "Data", "Training", "Endpoint", "Governance & Security", "Validation & Outputs")
REQUIRED_FIELDS = ("id", "statement", "risk", "source")
OPTIONAL_FIELDS = ("checks",)
DEFAULT_PATH = Path("features") / "requirements.yaml"


@dataclasses.dataclass(frozen=True)
class Requirement:
    id: str
    statement: str
    risk: str
    source: str
    checks: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "statement": self.statement,
            "risk": self.risk,
            "source": self.source,
            "checks": list(self.checks),
        }


@dataclasses.dataclass(frozen=True)
class RequirementSet:
    """The loaded requirements, in file order, with where they came from."""

    requirements: tuple[Requirement, ...]
    origin: str = ""
    sha256: str = ""

    def __iter__(self) -> Any:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.requirements]

    def get(self, req_id: str) -> Requirement | None:
        return next((r for r in self.requirements if r.id == req_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "sha256": self.sha256,
            "requirements": [r.to_dict() for r in self.requirements],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RequirementSet:
        return parse_requirements(
            {"requirements": data.get("requirements", [])},
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
        if all(isinstance(item.get(n), str) and item.get(n).strip() for n in REQUIRED_FIELDS):
            out.append(
                Requirement(
                    id=item["id"],
                    statement=" ".join(item["statement"].split()),
                    risk=item["risk"],
                    source=item["source"],
                    checks=tuple(checks),
                )
            )
    if problems:
        raise RequirementsError(f"{origin}: {len(problems)} problem(s) in the requirements", problems)
    return RequirementSet(tuple(out), origin=origin, sha256=sha256)


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

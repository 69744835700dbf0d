"""Which root variable each of a failed plan's diagnostics refuses, read from Terraform's ``-json`` output.

Several bad variables can share one ``terraform plan``: Terraform reports every invalid root variable
as a diagnostic of its own (a value of the wrong type, and every failing ``validation`` block, in the
same run). A test then asserts on ITS variable's diagnostic, never on the whole text, where another
variable's message or the command line could name it and make the check vacuous.

A diagnostic is attributed to a root variable by Terraform's own words, not by searching its message:
a failed validation rule lists the variable's value (``snippet.values``: ``var.NAME is ...``), a type
conversion error says ``The given value is not suitable for var.NAME declared at ...``; and either
points (``range``) at the value where it was given: a variables file (the harness hands ``--var``
values to Terraform as one) or ``-var`` on Terraform's command line. A module's own validation of the
value passed on (its range is the module call in a ``.tf`` file) is not the root variable's refusal:
a test of the root rule must fail when that rule is gone even though a module still refuses the value.
The value the diagnostic highlights is returned with it, so a test can also check the diagnostic is
about the value it passed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from harness.terraform import TerraformError

#: ``summary`` of a value that fails a ``validation`` block of its variable.
VALIDATION = "Invalid value for variable"
#: ``summary`` of a value Terraform cannot convert to the variable's type (no validation runs for it).
TYPE = "Invalid value for input variable"

_TYPE_DETAIL = re.compile(r"^The given value is not suitable for var\.([A-Za-z0-9_-]+) declared at ")


def refused_variable(diagnostic: dict[str, Any]) -> str | None:
    """The root variable an error diagnostic refuses, or None when it is no variable's refusal."""
    if diagnostic.get("severity") != "error":
        return None
    name = None
    if diagnostic.get("summary") == TYPE:
        match = _TYPE_DETAIL.match(diagnostic.get("detail") or "")
        name = match.group(1) if match else None
    elif diagnostic.get("summary") == VALIDATION:
        values = (diagnostic.get("snippet") or {}).get("values") or []
        named = {v.get("traversal", "") for v in values if v.get("traversal", "").startswith("var.")}
        name = named.pop()[len("var.") :] if len(named) == 1 else None
    where = (diagnostic.get("range") or {}).get("filename") or ""
    given = where.endswith((".tfvars", ".tfvars.json")) or where == f"<value for var.{name}>"
    return name if name and given else None


def highlighted(diagnostic: dict[str, Any]) -> Any:
    """The value the diagnostic points at, decoded as JSON (the harness and ``*.tfvars.json`` files
    hand Terraform JSON), or the raw text when it is not JSON (an HCL ``.tfvars`` file)."""
    snippet = diagnostic.get("snippet") or {}
    text = (snippet.get("code") or "")[
        snippet.get("highlight_start_offset", 0) : snippet.get("highlight_end_offset", 0)
    ]
    try:
        return json.loads(text)
    except ValueError:
        return text


def refusals(error: TerraformError) -> dict[str, list[dict[str, Any]]]:
    """The error's diagnostics by the variable each refuses; those of no variable under ``""``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for diagnostic in error.diagnostics:
        if diagnostic.get("severity") == "error":
            out.setdefault(refused_variable(diagnostic) or "", []).append(diagnostic)
    return out


def refusal_of(error: TerraformError, name: str, value: Any) -> dict[str, Any]:
    """The one diagnostic refusing variable ``name``, checked to point at ``value``; fails the test
    (AssertionError) when there is none, several, or it highlights another value."""
    found = refusals(error).get(name, [])
    listing = "\n".join(
        f"{v or '(none)'}: {[d.get('summary') for d in ds]}" for v, ds in refusals(error).items()
    )
    assert len(found) == 1, f"{len(found)} diagnostics refuse var.{name}; by variable:\n{listing}"
    assert highlighted(found[0]) == value, (
        f"var.{name}'s diagnostic highlights {highlighted(found[0])!r}, not {value!r}"
    )
    return found[0]

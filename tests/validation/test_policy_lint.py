"""The policy lint finds what parliament finds in the plan's policies, and honours inline reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.validation import policy_lint

REPO = Path(__file__).resolve().parents[2]

BAD = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
GOOD = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/key/*"}],
}


def _plan(policies: dict[str, dict]) -> dict:
    resources = [
        {
            "address": f"module.m.aws_iam_role_policy.{name}",
            "mode": "managed",
            "type": "aws_iam_role_policy",
            "name": name,
            "values": {"policy": json.dumps(doc)},
        }
        for name, doc in policies.items()
    ]
    return {
        "planned_values": {
            "root_module": {"child_modules": [{"address": "module.m", "resources": resources}]}
        },
        "configuration": {"root_module": {"module_calls": {"m": {"source": "../m"}}}},
    }


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "terraform").mkdir()
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(
        'resource "aws_iam_role_policy" "reasoned" {\n'
        "  #policy-lint:skip=RESOURCE_STAR:the test says why\n"
        "  policy = local.x\n"
        "}\n"
    )
    return tmp_path


needs_parliament = pytest.mark.skipif(
    not (REPO / ".venv-checkov" / "bin" / "python").exists(), reason="make setup installs .venv-checkov"
)


@needs_parliament
def test_finding_fails_and_reason_passes(tree: Path) -> None:
    plan = _plan({"plain": BAD, "reasoned": BAD, "clean": GOOD})
    result = policy_lint.lint(REPO, tree / "out", plan=plan, terraform_dir=tree / "terraform")
    assert [f.policy for f in result.findings] == ["module.m.aws_iam_role_policy.plain"]
    assert [f.issue for f in result.findings] == ["RESOURCE_STAR"]
    assert [(f.policy, f.reason) for f in result.reasoned] == [
        ("module.m.aws_iam_role_policy.reasoned", "the test says why")
    ]
    assert not result.ok and result.totals()["policies"] == 3
    saved = json.loads((tree / "out" / "policy-lint.json").read_text())
    assert saved["totals"] == {"policies": 3, "findings": 1, "reasoned": 1, "unrendered": 0}


@needs_parliament
def test_clean_plan_passes(tree: Path) -> None:
    result = policy_lint.lint(
        REPO, tree / "out", plan=_plan({"clean": GOOD}), terraform_dir=tree / "terraform"
    )
    assert result.ok and result.version


def test_unknown_policy_is_listed_as_unrendered() -> None:
    plan = _plan({})
    plan["planned_values"]["root_module"]["child_modules"][0]["resources"] = [
        {
            "address": "module.m.aws_iam_role_policy.later",
            "mode": "managed",
            "type": "aws_iam_role_policy",
            "name": "later",
            "values": {},
        }
    ]
    plan["resource_changes"] = [
        {"address": "module.m.aws_iam_role_policy.later", "change": {"after_unknown": {"policy": True}}}
    ]
    policies, unknown = policy_lint.rendered_policies(plan)
    assert policies == {} and unknown == ["module.m.aws_iam_role_policy.later"]

"""Run parliament over many policies in one process (executed by ``.venv-checkov``'s Python).

Standalone on purpose: it imports only the standard library and parliament, which lives in checkov's
environment, not in the harness's. Input: a JSON file ``[{"id": ..., "policy": "<json>"}, ...]``;
output on stdout: ``{"version": ..., "results": {id: [finding, ...]}}`` with parliament's own issue
codes, severities and titles (``enhance_finding``, as its command line reports them).
"""

from __future__ import annotations

import json
import sys


def main(path: str) -> int:
    import parliament

    with open(path, encoding="utf-8") as handle:
        items = json.load(handle)
    results: dict[str, list[dict[str, object]]] = {}
    for item in items:
        try:
            policy = parliament.analyze_policy_string(item["policy"])
        except Exception as exc:  # parliament's own failure on one policy is a finding, not a crash
            results[item["id"]] = [
                {
                    "issue": "LINT_ERROR",
                    "severity": "HIGH",
                    "title": "parliament could not analyse the policy",
                    "detail": f"{type(exc).__name__}: {exc}",
                    "location": {},
                }
            ]
            continue
        findings = []
        for finding in policy.findings:
            parliament.enhance_finding(finding)
            findings.append(
                {
                    "issue": finding.issue,
                    "severity": finding.severity,
                    "title": finding.title,
                    "detail": finding.detail,
                    "location": {k: v for k, v in (finding.location or {}).items() if k != "filepath"},
                }
            )
        results[item["id"]] = findings
    json.dump(
        {"version": getattr(parliament, "__version__", ""), "results": results}, sys.stdout, default=str
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

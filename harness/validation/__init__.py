"""Qualification evidence: requirements, scenario recording, report, signed package, offline verify.

Modules (one responsibility each):

``requirements``   ``load_requirements(path) -> RequirementSet`` from ``features/requirements.yaml``
``pytest_plugin``  ``-p harness.validation.pytest_plugin``: records pytest-bdd scenarios/steps and the
                   ``evidence`` fixture's attachments into ``<--evidence-dir>/results.json``; registers
                   every requirement id as a marker (``--strict-markers`` catches a typo)
``context``        ``collect_context(run_id=, target=, region=, client_factory=, repo_dir=,
                   terraform_version=, state_serial=, requirements_file=, started=) -> dict``
``matrix``         ``build_matrix(requirements, results) -> dict``; ``write_matrix(matrix, folder)``
``report``         ``build_report(results, out_dir, *, context, requirements, lineage, checkov, metrics,
                   run_id, title, pdf) -> ReportResult``: report.json, junit.xml, cucumber.json,
                   matrix.{csv,json,md}, report.html, report.pdf
``package``        ``new_run_id()``, ``create_run_folder(root)``, ``sign_package(folder, kms_client=,
                   key_id=)``, ``verify(folder_or_s3_uri, s3_client=, trusted_public_key=) ->
                   VerifyResult``, ``archive(folder, bucket, prefix, s3_client) -> ArchiveResult``
``commands``       CLI entry points:
                   ``verify_command(target_arg, *, s3_client_factory, out, trusted_public_key=None,
                   as_json=False) -> int`` for ``python -m harness report verify <folder|s3-uri>``
                   (0 ok, 1 with every problem named, 2 no such folder), and
                   ``finalize(run_dir, *, context, lineage, checkov, metrics, kms_client, key_id,
                   s3_client, bucket, prefix) -> FinalizeResult`` (report, sign, archive)

A run, end to end::

    run_dir = package.create_run_folder("evidence")            # evidence/<run-id>/, evidence/latest
    pytest -p harness.validation.pytest_plugin --strict-markers --evidence-dir <run_dir> features/
    ctx = context.collect_context(run_id=run_dir.name, target=..., region=..., client_factory=...)
    finalize(run_dir, context=ctx, lineage=..., checkov=..., kms_client=kms, key_id=signing_key,
             s3_client=s3, bucket=evidence_bucket)
    python -m harness report verify evidence/latest            # offline, any time later
"""

from typing import Any

# The receipt and people's signatures register their checks of a sealed package on import.
from harness.validation import approvals as _approvals  # noqa: F401
from harness.validation import receipt as _receipt  # noqa: F401
from harness.validation.errors import EvidenceError, PackageError, RequirementsError

#: Imported when first used: the report and its templates are not needed by the suites' processes,
#: which import this package through the pytest plugin.
_LAZY = {
    "FinalizeResult": "harness.validation.commands",
    "finalize": "harness.validation.commands",
    "verify_command": "harness.validation.commands",
    "ReportResult": "harness.validation.report",
    "build_report": "harness.validation.report",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "EvidenceError",
    "FinalizeResult",
    "PackageError",
    "ReportResult",
    "RequirementsError",
    "build_report",
    "finalize",
    "verify_command",
]

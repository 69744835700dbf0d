"""Entry points for the CLI (``python -m harness report ...``) and ``make validate``."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from harness.errors import ExitStatus, UsageError
from harness.validation import package
from harness.validation.report import ReportResult, build_report

ClientFactory = Callable[[str], Any]


def verify_command(
    target_arg: str,
    *,
    s3_client_factory: ClientFactory | None,
    out: TextIO,
    trusted_public_key: str | Path | None = None,
    as_json: bool = False,
    trusted_approvals_key: str | Path | None = None,
) -> ExitStatus:
    """``harness report verify <folder|s3-uri>``: OK when the package verifies, ERROR with every problem
    named (altered, missing, extra files, bad signature, untrusted key, an invalid or misplaced person's
    signature). A folder that does not exist raises :class:`UsageError`, an unreadable package
    :class:`EvidenceError` (the CLI maps both). Prints the chain: executed, reviewed, approved."""
    from harness.validation.approvals import chain_lines

    trusted = Path(trusted_public_key).read_bytes() if trusted_public_key else None
    trusted_approvals = Path(trusted_approvals_key).read_bytes() if trusted_approvals_key else None
    if not target_arg.startswith("s3://") and not Path(target_arg).is_dir():
        raise UsageError(
            f"{target_arg}: no such evidence folder", hint="name a run folder or an s3:// prefix"
        )
    client = s3_client_factory("s3") if target_arg.startswith("s3://") and s3_client_factory else None
    result = package.verify(
        target_arg, s3_client=client, trusted_public_key=trusted, trusted_approvals_key=trusted_approvals
    )
    if as_json:
        print(json.dumps(result.to_dict(), indent=2), file=out)
    else:
        head = "OK" if result.ok else "FAILED"
        print(f"{head}: evidence package {result.location} (run {result.run_id})", file=out)
        print(f"  files checked: {result.files_checked}", file=out)
        print(f"  signing key: {result.key_id} ({result.algorithm})", file=out)
        print(f"  public key sha256: {result.public_key_sha256}", file=out)
        print(f"  signature: {'valid' if result.signature_valid else 'INVALID'}", file=out)
        if result.key_trusted is not None:
            print(f"  trusted key: {'yes' if result.key_trusted else 'NO'}", file=out)
        if result.approvals is not None:
            print("  signatures (chain):", file=out)
            for line in chain_lines(result.approvals):
                print(f"    {line}", file=out)
        for problem in result.all_problems():
            print(f"  - {problem}", file=out)
    return ExitStatus.OK if result.ok else ExitStatus.ERROR


@dataclasses.dataclass
class FinalizeResult:
    report: ReportResult
    signed: package.SignResult | None
    archived: package.ArchiveResult | None


def finalize(
    run_dir: str | Path,
    *,
    context: Mapping[str, Any] | None = None,
    lineage: Mapping[str, Any] | None = None,
    checkov: Any = None,
    metrics: Mapping[str, Any] | None = None,
    stages: Sequence[Mapping[str, Any]] | None = None,
    protocol: Mapping[str, Any] | None = None,
    extra_deviations: Sequence[Mapping[str, Any]] = (),
    kms_client: Any = None,
    key_id: str | None = None,
    s3_client: Any = None,
    bucket: str | None = None,
    prefix: str = "evidence",
    pdf: bool = True,
) -> FinalizeResult:
    """Report, sign and archive a run folder that holds the plugin's ``results.json``.

    Without ``kms_client``/``key_id`` the package is left unsigned; without ``s3_client``/``bucket``
    it is not archived. Sign after everything else is written: a file added later shows as extra.
    """
    run_dir = Path(run_dir)
    report = build_report(
        run_dir,
        run_dir,
        context=context,
        lineage=lineage,
        checkov=checkov,
        metrics=metrics,
        stages=stages,
        protocol=protocol,
        extra_deviations=extra_deviations,
        pdf=pdf,
    )
    signed = None
    if kms_client is not None and key_id:
        signed = package.sign_package(run_dir, kms_client=kms_client, key_id=key_id)
    archived = None
    if signed is not None and s3_client is not None and bucket:
        archived = package.archive(run_dir, bucket, prefix, s3_client)
    return FinalizeResult(report=report, signed=signed, archived=archived)

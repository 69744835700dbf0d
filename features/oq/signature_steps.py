"""Steps of ``signatures.feature``: people's signatures tried live with the platform's approvals key
and approver role (``harness.validation.approvals``, ``harness.modelapproval``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, then, when

from harness import identity, modelapproval
from harness import target as targets
from harness.validation import approvals, package, signatures
from harness.validation.signatures import SignatureRefused


@given("the platform's approvals key and approver role", target_fixture="signing")
def approvals_setup(outputs: dict[str, Any], aws: Any, evidence: Any) -> dict[str, Any]:
    key = outputs["kms_key_arns"]["approvals"]
    meta = aws("kms").describe_key(KeyId=key)["KeyMetadata"]
    role = outputs["approver_role_arn"]
    shown = {k: meta.get(k) for k in ("Arn", "KeySpec", "KeyUsage", "Enabled", "SigningAlgorithms")}
    evidence.attach("DescribeKey(approvals)", shown)
    evidence.attach("GetRole(approver)", aws("iam").get_role(RoleName=role.rsplit("/", 1)[-1])["Role"])
    assert meta["KeyUsage"] == "SIGN_VERIFY" and meta["Enabled"] is True, shown
    assert package.SIGNING_ALGORITHM in meta["SigningAlgorithms"], shown
    return {"key": key, "role": role, "outputs": outputs, "outcomes": [], "refusals": []}


@given(
    "a sample evidence package executed by the suite's identity and sealed through KMS",
    target_fixture="sample",
)
def sample_package(target: targets.Target, signing: dict[str, Any], aws: Any, tmp_path: Path) -> Path:
    folder = tmp_path / package.new_run_id()
    folder.mkdir()
    executor = identity.caller(target).to_dict()
    (folder / "report.json").write_text(
        json.dumps(
            {"context": {"executor": executor, "finished": "sealed by the OQ suite"}, "deviations": []}
        )
    )
    package.sign_package(folder, kms_client=aws("kms"), key_id=signing["outputs"]["kms_key_arns"]["signing"])
    return folder


def _sign(sample: Path, signing: dict[str, Any], signer: targets.Target, meaning: str, name: str) -> None:
    try:
        outcome = approvals.sign_folder(
            sample,
            signer_target=signer,
            meaning=meaning,
            printed_name=name,
            reason=f"{meaning} in the OQ suite",
            key_id=signing["key"],
            approver_role_arn=signing["role"],
        )
    except SignatureRefused as exc:
        signing["refusals"].append(exc)
        return
    signing["outcomes"].append(outcome)


@when(parsers.parse('"{name}" signs it as {meaning} through the approver role'))
def person_signs(
    target: targets.Target, sample: Path, signing: dict[str, Any], name: str, meaning: str
) -> None:
    signer = identity.assume(target, signing["role"], name, purpose=f"sign a sample package as {meaning}")
    _sign(sample, signing, signer, meaning, name)


@when(parsers.parse("the suite's identity signs it as {meaning}"))
def executor_signs(target: targets.Target, sample: Path, signing: dict[str, Any], meaning: str) -> None:
    _sign(sample, signing, target, meaning, "Suite Executor")


@when("the reason of that signed record is changed")
def tamper_record(signing: dict[str, Any]) -> None:
    path = signing["outcomes"][-1].local_path
    document = json.loads(path.read_text())
    document["record"]["reason"] = "changed after signing"
    path.write_text(json.dumps(document))


@then(
    "offline verification passes and shows the chain executed, reviewed, approved with each signer's session"
)
def chain_verifies(sample: Path, signing: dict[str, Any], evidence: Any) -> None:
    assert not signing["refusals"], [str(e) for e in signing["refusals"]]
    result = package.verify(sample)
    chain = (result.approvals or {}).get("chain", [])
    evidence.attach("verify", {**result.to_dict(), "all_problems": result.all_problems()})
    evidence.attach("chain", approvals.chain_lines(result.approvals or {}))
    assert result.ok, result.all_problems()
    assert [step["meaning"] for step in chain] == ["executed", "reviewed", "approved"], chain
    assert [step["printed_name"] for step in chain[1:]] == ["Rita Reviewer", "Alan Approver"], chain
    assert "Rita.Reviewer via " in chain[1]["by"] and "Alan.Approver via " in chain[2]["by"], chain
    assert all(step["ok"] for step in chain), chain


@then(parsers.parse("the signature is refused by rule {rule} and no record is written"))
def refused(sample: Path, signing: dict[str, Any], rule: str, evidence: Any) -> None:
    evidence.attach("refusals", [str(e) for e in signing["refusals"]])
    assert signing["refusals"], "the signature was accepted"
    assert signing["refusals"][-1].rule == rule, str(signing["refusals"][-1])
    records = approvals.record_files(sample)
    assert len(records) == len(signing["outcomes"]), [p.name for p in records]


@then("offline verification fails naming the record as not matching its signature")
def tamper_detected(sample: Path, signing: dict[str, Any], evidence: Any) -> None:
    result = package.verify(sample)
    name = signing["outcomes"][-1].local_path.name
    evidence.attach("verify", {**result.to_dict(), "all_problems": result.all_problems()})
    assert not result.ok
    assert f"approvals/{name}: the signature does not match the record (tampered or re-signed)" in (
        result.all_problems()
    ), result.all_problems()


@given("the latest version in the model package group", target_fixture="model_version")
def latest_version(aws: Any, outputs: dict[str, Any], evidence: Any) -> dict[str, Any]:
    listed = aws("sagemaker").list_model_packages(
        ModelPackageGroupName=outputs["model_package_group_name"],
        SortBy="CreationTime",
        SortOrder="Descending",
    )["ModelPackageSummaryList"]
    assert listed, "no model version registered"
    desc = aws("sagemaker").describe_model_package(ModelPackageName=listed[0]["ModelPackageArn"])
    evidence.attach("DescribeModelPackage", desc)
    return desc


@given("the model version the endpoint serves", target_fixture="model_version")
def served_version(aws: Any, outputs: dict[str, Any], evidence: Any) -> dict[str, Any]:
    """The version behind the live endpoint (the one a person approved for release), found by artifact.

    The latest version may come from a retraining started by a service (the Step Functions role), which
    no person can sign as; the served one was trained by an identity a person uses."""
    sm = aws("sagemaker")
    endpoint = outputs.get("endpoint_name")
    assert endpoint, "no endpoint is deployed: run `make train deploy` first"
    config = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    )
    model = sm.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    artifact = model["PrimaryContainer"]["ModelDataUrl"]
    paginator = sm.get_paginator("list_model_packages")
    for page in paginator.paginate(ModelPackageGroupName=outputs["model_package_group_name"]):
        for summary in page["ModelPackageSummaryList"]:
            desc = sm.describe_model_package(ModelPackageName=summary["ModelPackageArn"])
            if desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == artifact:
                evidence.attach("DescribeModelPackage", desc)
                return desc
    raise AssertionError(f"no model version in the group serves {artifact}")


@then(
    "it records who trained it and, when approved, its approval description names the signer and "
    "the signed record"
)
def version_records_trainer(model_version: dict[str, Any], aws: Any, evidence: Any) -> None:
    trainer = modelapproval.trainer_of(model_version)
    evidence.attach(
        "trainer and approval",
        {
            "trained_by": trainer.arn if trainer else None,
            "status": model_version["ModelApprovalStatus"],
            "description": model_version.get("ApprovalDescription"),
        },
    )
    assert trainer is not None and trainer.arn.startswith("arn:"), model_version.get(
        "CustomerMetadataProperties"
    )
    if model_version["ModelApprovalStatus"] != "Approved":
        return
    description = model_version.get("ApprovalDescription") or ""
    assert " by " in description and "record s3://" in description, description
    uri = description.split("record ", 1)[1].split(";", 1)[0]
    bucket, key = uri[5:].split("/", 1)
    body = aws("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    check = signatures.verify(body, name=key, expected={"id": model_version["ModelPackageArn"]})
    evidence.attach("signed record", {"uri": uri, **check.to_dict()})
    assert check.ok, check.problems


@when("its trainer approves it through the approver role")
def trainer_approves(
    target: targets.Target, model_version: dict[str, Any], signing: dict[str, Any], outputs: dict[str, Any]
) -> None:
    trainer = modelapproval.trainer_of(model_version)
    assert trainer is not None
    person = trainer.source_identity or trainer.arn.rsplit("/", 1)[-1]
    signer = identity.assume(target, signing["role"], person, purpose="approve as the trainer")
    try:
        modelapproval.decide(
            target,
            signer,
            outputs,
            version=model_version["ModelPackageVersion"],
            meaning="approved",
            printed_name=person,
            reason="the trainer tries to approve its own model",
            key_id=signing["key"],
        )
    except SignatureRefused as exc:
        signing["refusals"].append(exc)


@then(parsers.parse("the signature is refused by rule {rule} and the version's approval status is unchanged"))
def model_refused(
    model_version: dict[str, Any], signing: dict[str, Any], rule: str, aws: Any, evidence: Any
) -> None:
    evidence.attach("refusals", [str(e) for e in signing["refusals"]])
    assert signing["refusals"] and signing["refusals"][-1].rule == rule, signing["refusals"]
    now = aws("sagemaker").describe_model_package(ModelPackageName=model_version["ModelPackageArn"])
    evidence.attach("DescribeModelPackage(after)", now)
    assert now["ModelApprovalStatus"] == model_version["ModelApprovalStatus"]
    assert now.get("ApprovalDescription") == model_version.get("ApprovalDescription")

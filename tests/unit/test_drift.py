"""Baseline and drift: snapshot normalisation, comparison, baseline choice, the CLI's verdict.

The snapshot is read from in-process moto (no server needed): the same boto3 calls the live platform
answers, with the change made outside Terraform by a direct API call, as an operator would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from harness import drift
from harness.errors import ExitStatus
from harness.validation import signatures

REGION = "eu-central-1"
LOCAL = drift.PlatformIdentity("local", "123456789012", REGION, "4242:4566:1")

BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::gxp-test-data", "arn:aws:s3:::gxp-test-data/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyUnencryptedUploads",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::gxp-test-data/*",
            "Condition": {"Null": {"s3:x-amz-server-side-encryption": "true"}},
        },
    ],
}


_CLIENTS: dict[str, Any] = {}


def _clients(service: str) -> Any:
    """The test's moto client for ``service``, made once per test (``platform`` clears them): making a
    client costs more than the calls a snapshot sends through it."""
    client = _CLIENTS.get(service)
    if client is None:
        client = _CLIENTS[service] = boto3.client(service, region_name=REGION)
    return client


@pytest.fixture
def platform(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A small platform in moto: a rotated key, a bucket with a TLS-only policy, a role."""
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    _CLIENTS.clear()
    with mock_aws():
        kms = _clients("kms")
        key = kms.create_key(Description="data at rest")["KeyMetadata"]
        kms.enable_key_rotation(KeyId=key["KeyId"])
        s3 = _clients("s3")
        s3.create_bucket(Bucket="gxp-test-data", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_policy(Bucket="gxp-test-data", Policy=json.dumps(BUCKET_POLICY))
        s3.put_bucket_versioning(Bucket="gxp-test-data", VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket="gxp-test-data",
            PublicAccessBlockConfiguration=dict.fromkeys(
                ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
            ),
        )
        iam = _clients("iam")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName="gxp-test-execution", AssumeRolePolicyDocument=json.dumps(trust))
        iam.put_role_policy(
            RoleName="gxp-test-execution",
            PolicyName="data",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}],
                }
            ),
        )
        yield {
            "kms_key_arns": {"data": key["Arn"]},
            "data_lake_bucket": "gxp-test-data",
            "execution_role_arn": role["Role"]["Arn"],
            "name_prefix": "gxp-test",
            "key_id": key["KeyId"],
        }
    _CLIENTS.clear()


def _snapshot(outputs: dict[str, Any], serial: int = 7) -> dict[str, Any]:
    return drift.snapshot_from_clients(_clients, outputs, identity=LOCAL, state_serial=serial)


# -- normalisation --------------------------------------------------------------------------------


def test_policy_normalisation_ignores_order_and_single_values() -> None:
    reordered = {
        "Version": "2012-10-17",
        "Statement": [
            {**BUCKET_POLICY["Statement"][1], "Action": ["s3:PutObject"]},
            {
                **BUCKET_POLICY["Statement"][0],
                "Resource": list(reversed(BUCKET_POLICY["Statement"][0]["Resource"])),
            },
        ],
    }
    assert drift.normalise_policy(json.dumps(BUCKET_POLICY)) == drift.normalise_policy(reordered)
    assert set(drift.normalise_policy(BUCKET_POLICY)["statements"]) == {
        "DenyInsecureTransport",
        "DenyUnencryptedUploads",
    }


def test_statements_without_sid_keep_a_stable_key() -> None:
    st = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    other = {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}
    a = drift.normalise_policy({"Statement": [st, other]})
    b = drift.normalise_policy({"Statement": [other, st]})
    assert a == b and all(k.startswith("#") for k in a["statements"])


def test_iam_url_encoded_documents_are_decoded() -> None:
    encoded = "%7B%22Statement%22%3A%5B%7B%22Sid%22%3A%22A%22%2C%22Effect%22%3A%22Allow%22%7D%5D%7D"
    assert drift.normalise_policy(encoded)["statements"] == {"A": {"Effect": "Allow"}}


def test_snapshot_reads_the_live_resources_normalised(platform: dict[str, Any]) -> None:
    snap = _snapshot(platform)
    assert snap["schema"] == drift.SNAPSHOT_SCHEMA and snap["state_serial"] == 7
    assert snap["platform"] == LOCAL.to_dict()
    key = snap["resources"][f"kms_key/{platform['key_id']}"]["attributes"]
    assert key["rotation_enabled"] is True and key["key_state"] == "Enabled"
    bucket = snap["resources"]["s3_bucket/gxp-test-data"]["attributes"]
    assert bucket["versioning"] == "Enabled" and bucket["public_access_block"]["BlockPublicAcls"] is True
    assert bucket["policy"]["statements"]["DenyInsecureTransport"]["Action"] == ["s3:*"]
    role = snap["resources"]["iam_role/gxp-test-execution"]["attributes"]
    assert role["inline_policies"]["data"]["statements"]
    # nothing volatile: a second read of an unchanged platform is identical
    again = _snapshot(platform)
    assert drift.compare(snap, again) == []
    assert json.dumps(snap["resources"], sort_keys=True) == json.dumps(again["resources"], sort_keys=True)


# -- comparison -----------------------------------------------------------------------------------


def test_rotation_switched_off_outside_terraform_is_named_by_key_id_and_attribute(
    platform: dict[str, Any],
) -> None:
    baseline = _snapshot(platform)
    _clients("kms").disable_key_rotation(KeyId=platform["key_id"])  # outside Terraform
    changes = drift.compare(baseline, _snapshot(platform))
    assert [(c.resource_type, c.resource_id, c.attribute, c.before, c.after) for c in changes] == [
        ("kms_key", platform["key_id"], "rotation_enabled", True, False)
    ]
    assert changes[0].describe() == f"kms_key {platform['key_id']}: rotation_enabled switched off (was true)"


def test_a_removed_bucket_policy_statement_is_named(platform: dict[str, Any]) -> None:
    baseline = _snapshot(platform)
    weakened = {**BUCKET_POLICY, "Statement": BUCKET_POLICY["Statement"][:1]}
    _clients("s3").put_bucket_policy(Bucket="gxp-test-data", Policy=json.dumps(weakened))
    changes = drift.compare(baseline, _snapshot(platform))
    assert [(c.resource_id, c.attribute, c.change) for c in changes] == [
        ("gxp-test-data", "policy.statements.DenyUnencryptedUploads", "removed")
    ]
    assert "policy.statements.DenyUnencryptedUploads removed" in changes[0].describe()


def test_added_and_removed_resources_and_changed_policies(platform: dict[str, Any]) -> None:
    baseline = _snapshot(platform)
    iam = _clients("iam")
    iam.create_role(RoleName="gxp-test-backdoor", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    iam.delete_role_policy(RoleName="gxp-test-execution", PolicyName="data")
    s3 = _clients("s3")
    s3.delete_bucket_policy(Bucket="gxp-test-data")
    s3.put_bucket_versioning(Bucket="gxp-test-data", VersioningConfiguration={"Status": "Suspended"})
    changes = {(c.resource_id, c.attribute, c.change) for c in drift.compare(baseline, _snapshot(platform))}
    assert ("gxp-test-backdoor", None, "added") in changes
    assert ("gxp-test-execution", "inline_policies.data", "removed") in changes
    assert ("gxp-test-data", "versioning", "changed") in changes
    assert ("gxp-test-data", "policy", "removed") in changes
    assert len(changes) == 4, changes


def test_a_resource_gone_from_the_api_is_reported() -> None:
    base = {"resources": {"kms_key/k1": {"type": "kms_key", "id": "k1", "attributes": {"enabled": True}}}}
    now = {"resources": {"kms_key/k1": {"type": "kms_key", "id": "k1", "absent": True}}}
    (change,) = drift.compare(base, now)
    assert (change.resource_id, change.attribute, change.change) == ("k1", None, "removed")
    assert change.describe() == "kms_key k1: is gone"


# -- baselines ------------------------------------------------------------------------------------


def _package(
    root: Path, run_id: str, identity: drift.PlatformIdentity, *, verdict: str, taken: str, **kw: Any
) -> Path:
    folder = root / run_id
    folder.mkdir(parents=True)
    snap = {
        "schema": drift.SNAPSHOT_SCHEMA,
        "taken": taken,
        "platform": identity.to_dict(),
        "state_serial": 3,
        "resources": kw.get("resources", {}),
    }
    data = json.dumps(snap).encode()
    (folder / drift.SNAPSHOT_FILE).write_bytes(data)
    (folder / "report.json").write_text(json.dumps({"verdict": {"result": verdict}}))
    sealed = hashlib.sha256(data if kw.get("sealed", True) else b"other").hexdigest()
    manifest = json.dumps({"files": [{"path": drift.SNAPSHOT_FILE, "sha256": sealed}]}).encode()
    (folder / "manifest.json").write_bytes(manifest)
    if kw.get("approved"):
        (folder / "approvals").mkdir()
        record = _approval(hashlib.sha256(manifest).hexdigest(), run_id)
        (folder / "approvals" / "approved-1.json").write_bytes(signatures.document_bytes(record))
    return folder


class _Signer:
    """A stand-in approvals key answering KMS's GetPublicKey and Sign (DIGEST, RSASSA-PSS SHA-256)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def get_public_key(self, KeyId: str) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization

        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {"KeyId": KeyId, "PublicKey": der, "SigningAlgorithms": ["RSASSA_PSS_SHA_256"]}

    def sign(self, KeyId: str, Message: bytes, **_: Any) -> dict[str, Any]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding, utils

        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=hashes.SHA256.digest_size)
        return {"Signature": self.key.sign(Message, pss, utils.Prehashed(hashes.SHA256()))}


_SIGNER: list[_Signer] = []


def _approval(manifest_sha256: str, run_id: str, meaning: str = "approved") -> dict[str, Any]:
    from harness.identity import Identity

    if not _SIGNER:
        _SIGNER.append(_Signer())
    signer = Identity(
        arn="arn:aws:sts::123456789012:assumed-role/gxp-ml-approver/Alan.Approver",
        account="123456789012",
        user_id="AROA:Alan.Approver",
        session_name="Alan.Approver",
        source_identity="Alan.Approver",
    )
    record = signatures.new_record(
        subject=signatures.subject("evidence-package", run_id, manifest_sha256),
        meaning=meaning,
        printed_name="Alan Approver",
        signer=signer,
        reason="accepted",
    )
    return signatures.seal(
        record, kms_client=_SIGNER[0], key_id="arn:aws:kms:eu-central-1:123456789012:key/a"
    )


def test_baseline_is_the_latest_approved_else_latest_passing_of_the_same_platform(tmp_path: Path) -> None:
    other_instance = drift.PlatformIdentity("local", "123456789012", REGION, "9999:4566:2")
    other_region = drift.PlatformIdentity("local", "123456789012", "us-east-1", LOCAL.emulator_instance)
    _package(tmp_path, "r1", LOCAL, verdict="PASS", taken="2026-12-01T01:00:00Z", approved=True)
    _package(tmp_path, "r2", LOCAL, verdict="PASS", taken="2026-12-01T02:00:00Z")
    _package(tmp_path, "r3", LOCAL, verdict="FAIL", taken="2026-12-01T03:00:00Z")
    _package(tmp_path, "r4", other_instance, verdict="PASS", taken="2026-12-01T04:00:00Z", approved=True)
    _package(tmp_path, "r5", other_region, verdict="PASS", taken="2026-12-01T05:00:00Z")
    _package(tmp_path, "r6", LOCAL, verdict="PASS", taken="2026-12-01T06:00:00Z", sealed=False)
    found = drift.find_baseline(tmp_path, LOCAL)
    assert found is not None and (found.run_id, found.kind) == ("r1", "approved")
    (tmp_path / "r1" / "approvals" / "approved-1.json").unlink()
    found = drift.find_baseline(tmp_path, LOCAL)
    assert found is not None and (found.run_id, found.kind) == ("r2", "passing")
    fresh = drift.PlatformIdentity("local", "123456789012", REGION, "1:1:1")
    assert drift.find_baseline(tmp_path, fresh) is None


def test_only_a_valid_approval_of_this_manifest_makes_a_baseline_approved(tmp_path: Path) -> None:
    folder = _package(tmp_path, "r1", LOCAL, verdict="PASS", taken="2026-12-01T01:00:00Z", approved=True)
    assert drift.package_approved(folder)
    (folder / "approvals" / "approved-1.json").write_bytes(
        signatures.document_bytes(_approval("0" * 64, "r1"))
    )
    assert not drift.package_approved(folder)  # it signs another manifest
    record = _approval(hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest(), "r1")
    record["record"]["meaning"] = "reviewed"  # tampered: the signature no longer matches
    (folder / "approvals" / "approved-1.json").write_bytes(signatures.document_bytes(record))
    assert not drift.package_approved(folder)


def test_a_baseline_of_another_platform_is_refused(tmp_path: Path) -> None:
    folder = _package(tmp_path, "r1", LOCAL, verdict="PASS", taken="2026-12-01T01:00:00Z")
    other = drift.PlatformIdentity("aws", "210987654321", REGION)
    current = {"platform": other.to_dict(), "resources": {}, "taken": "2026-12-01T07:00:00Z"}
    with pytest.raises(drift.DriftError, match="another platform"):
        drift.check(current, drift.Baseline(folder, "given", drift.load_snapshot(folder)))


def test_record_and_verdict(tmp_path: Path) -> None:
    folder = _package(
        tmp_path,
        "r1",
        LOCAL,
        verdict="PASS",
        taken="2026-12-01T01:00:00Z",
        resources={"kms_key/k1": {"type": "kms_key", "id": "k1", "attributes": {"rotation_enabled": True}}},
    )
    base = drift.Baseline(folder, "passing", drift.load_snapshot(folder))
    live = {
        "platform": LOCAL.to_dict(),
        "taken": "2026-12-01T07:00:00Z",
        "state_serial": 3,
        "resources": {
            "kms_key/k1": {"type": "kms_key", "id": "k1", "attributes": {"rotation_enabled": False}}
        },
    }
    result = drift.check(live, base)
    json_path, html_path = drift.write_record(result, tmp_path / "record")
    record = json.loads(json_path.read_text())
    assert record["result"] == "drift" and record["baseline"]["run_id"] == "r1"
    assert record["changes"][0]["description"] == "kms_key k1: rotation_enabled switched off (was true)"
    assert "rotation_enabled" in html_path.read_text()
    with pytest.raises(drift.DriftFound) as caught:
        drift.raise_if_drifted(result)
    assert caught.value.exit_status == ExitStatus.DRIFT and "kms_key k1" in str(caught.value)
    clean = drift.check({**live, "resources": base.snapshot["resources"]}, base)
    drift.raise_if_drifted(clean)
    assert clean.summary() == "no drift against passing baseline r1"


def test_cli_drift_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m harness drift`: 0 and "no drift", DRIFT naming the change, 1 without a baseline."""
    from harness import cli
    from harness.provisioning import Layout

    folder = _package(
        tmp_path / "evidence",
        "r1",
        LOCAL,
        verdict="PASS",
        taken="2026-12-01T01:00:00Z",
        resources={"kms_key/k1": {"type": "kms_key", "id": "k1", "attributes": {"rotation_enabled": True}}},
    )
    live: dict[str, Any] = {"resources": drift.load_snapshot(folder)["resources"]}

    class FakePlatform:
        target = type("T", (), {"name": "local"})()

        def outputs(self) -> dict[str, Any]:
            return {"data_lake_bucket": "b"}

        def state_serial(self) -> int:
            return 3

    def fake_detect(target: Any, outputs: Any, *, work_dir: Path, baseline: Any, **_: Any) -> Any:
        current = {"platform": LOCAL.to_dict(), "taken": "2026-12-01T07:00:00Z", "state_serial": 3, **live}
        base = drift.find_baseline(drift.evidence_root(work_dir), LOCAL)
        return drift.check(current, base), current

    monkeypatch.setattr(cli, "_platform", lambda *a, **k: FakePlatform())
    monkeypatch.setattr(drift, "detect", fake_detect)

    def run() -> tuple[int, str, str]:
        done = cli.run(["drift"], environ={}, layout=Layout(work=tmp_path))
        return done.status, done.stdout, done.stderr

    rc, out, err = run()
    assert rc == 0 and "no drift against passing baseline r1" in out
    live["resources"] = {
        "kms_key/k1": {"type": "kms_key", "id": "k1", "attributes": {"rotation_enabled": False}}
    }
    rc, out, err = run()
    assert rc == int(ExitStatus.DRIFT)
    assert "kms_key k1: rotation_enabled switched off" in err
    assert list((tmp_path / "evidence" / "drift").glob("*/drift.html"))
    (folder / "report.json").write_text(json.dumps({"verdict": {"result": "FAIL"}}))
    rc, out, err = run()
    assert rc == 1 and "no baseline for this platform yet" in err


def test_validate_records_drift_as_deviations_and_whether_apply_repaired_it(
    platform: dict[str, Any], tmp_path: Path
) -> None:
    """The drift stage's deviations name the resource; after the run they say whether it was repaired."""
    snap = _snapshot(platform)
    folder = tmp_path / "r1"
    folder.mkdir()
    base = drift.Baseline(folder, "passing", snap)
    kms = _clients("kms")
    kms.disable_key_rotation(KeyId=platform["key_id"])  # outside Terraform
    _clients("s3").put_bucket_versioning(
        Bucket="gxp-test-data", VersioningConfiguration={"Status": "Suspended"}
    )
    result = drift.check(_snapshot(platform), base)
    found = drift.deviations(result)
    assert [(d["kind"], d["resource"], d["attribute"], d["repaired"]) for d in found] == [
        ("drift", f"kms_key {platform['key_id']}", "rotation_enabled", None),
        ("drift", "s3_bucket gxp-test-data", "versioning", None),
    ]
    assert found[0]["requirements"] == ["URS_018", "URS_019"] and found[0]["baseline"] == "r1"
    assert "rotation_enabled switched off" in found[0]["observed"]
    kms.enable_key_rotation(KeyId=platform["key_id"])  # what the run's apply does; versioning stays off
    assert drift.mark_repairs(found, result, _snapshot(platform)) == 1
    assert found[0]["repaired"] is True and "repaired by the run's apply" in found[0]["observed"]
    assert (
        found[1]["repaired"] is False
        and 'NOT repaired: after the run the live value is "Suspended"' in (found[1]["observed"])
    )


def test_no_baseline_means_no_drift_deviations() -> None:
    result = drift.check({"platform": LOCAL.to_dict(), "resources": {}}, None, note="none yet")
    assert (
        drift.deviations(result) == [] and result.summary() == "no baseline for this platform yet: none yet"
    )


def test_the_validate_stages_record_drift_before_apply_and_its_repair(
    platform: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """qualify's drift stage (before apply) and snapshot stage (sealed into the package), wired to a
    platform in moto: a qualified run's snapshot is the next run's baseline; rotation switched off
    outside Terraform becomes a drift deviation naming the key; the apply's repair is recorded."""
    from harness import qualify
    from harness.provisioning import Layout

    class Target:
        name, region, is_local, emulator = "aws", REGION, False, None

        def client(self, service: str) -> Any:
            return _clients(service)

    class FakePlatform:
        def __init__(self, *_: Any, **__: Any) -> None:
            pass

        def outputs(self) -> dict[str, Any]:
            return platform

        def state_serial(self) -> int:
            return 7

    monkeypatch.setattr(qualify, "Platform", FakePlatform)

    def run(run_id: str) -> qualify.Run:
        folder = tmp_path / "evidence" / run_id
        folder.mkdir(parents=True)
        r = qualify.Run("aws", Layout(work=tmp_path), folder, progress=lambda _m: None)
        r.target, r.platform, r.outputs = Target(), FakePlatform(), platform  # type: ignore[assignment]
        return r

    first = run("20261201T010000Z-aaaaaa")
    assert qualify.drift_check(first) == (True, "no baseline for this platform yet: " + first.drift.note)
    ok, detail = qualify.snapshot(first)
    assert ok and detail.startswith(f"{len(_snapshot(platform)['resources'])} live resources, state serial 7")
    snap = (first.run_dir / drift.SNAPSHOT_FILE).read_bytes()
    (first.run_dir / "report.json").write_text(json.dumps({"verdict": {"result": "PASS"}}))
    sealed = {"files": [{"path": drift.SNAPSHOT_FILE, "sha256": hashlib.sha256(snap).hexdigest()}]}
    (first.run_dir / "manifest.json").write_text(json.dumps(sealed))

    _clients("kms").disable_key_rotation(KeyId=platform["key_id"])  # outside Terraform
    second = run("20261201T020000Z-bbbbbb")
    ok, detail = qualify.drift_check(second)
    assert ok and detail == (
        "drift: 1 change(s) in 1 resource(s) against passing baseline 20261201T010000Z-aaaaaa "
        "(recorded as deviations)"
    )
    assert [(d["kind"], d["resource"], d["attribute"]) for d in second.deviations] == [
        ("drift", f"kms_key {platform['key_id']}", "rotation_enabled")
    ]
    assert json.loads((second.run_dir / "drift" / drift.RECORD_JSON).read_text())["result"] == "drift"
    _clients("kms").enable_key_rotation(KeyId=platform["key_id"])  # what the run's apply does
    ok, detail = qualify.snapshot(second)
    assert ok and detail.endswith("; 1 of 1 drift change(s) repaired")
    assert second.deviations[0]["repaired"] is True

"""moto's per-request lookups answered cheaply give moto's own answers."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from moto.core.utils import method_names_from_class

from harness.emulator import lookups
from harness.emulator.errors import EmulatorError


def test_function_names_answer_as_moto_does() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.iam.responses import IamResponse
    from moto.kms.responses import KmsResponse
    from moto.s3.responses import S3Response
    from moto.sagemaker.responses import SageMakerResponse

    for cls in (CloudTrailResponse, IamResponse, KmsResponse, S3Response, SageMakerResponse):
        names = lookups.FunctionNames(cls)
        expected = method_names_from_class(cls)
        assert list(names) == expected and len(names) == len(expected)
        for name in [*dir(cls), "get_role", "create_key", "mro", "no_such_action", "__init__"]:
            assert (name in names) == (name in expected), (cls.__name__, name)


def test_a_method_added_later_is_seen() -> None:
    class Base:
        def inherited(self) -> None: ...

        @staticmethod
        def static() -> None: ...

        @classmethod
        def klass(cls) -> None: ...

        @property
        def prop(self) -> int:
            return 1

    class Response(Base):
        pass

    names = lookups.FunctionNames(Response)
    assert "added" not in names
    Response.added = lambda self: None  # type: ignore[attr-defined]
    assert "added" in names and "inherited" in names and "static" in names
    assert "klass" not in names and "prop" not in names
    members = [n for n, _ in inspect.getmembers(Response, inspect.isfunction)]
    assert members == list(lookups.FunctionNames(Response))


def test_install_puts_the_lookup_in_moto_and_is_idempotent() -> None:
    from moto.core import responses

    original = responses.method_names_from_class
    try:
        lookups.install()
        lookups.install()
        assert responses.method_names_from_class is lookups.function_names
    finally:
        responses.method_names_from_class = original


def test_sessions_and_moto_share_one_loader_each_and_keep_their_own_models(monkeypatch: Any) -> None:
    import botocore.session
    from moto.core import utils

    monkeypatch.setattr(botocore.session, "create_loader", botocore.session.create_loader)
    monkeypatch.setattr(utils, "create_loader", utils.create_loader)
    lookups.share_loaders()
    lookups.share_loaders()
    first, second = botocore.session.get_session(), botocore.session.get_session()
    assert first.get_component("data_loader") is second.get_component("data_loader")
    # parsed once: both sessions are handed the very same model data
    assert first.get_service_data("kms") is second.get_service_data("kms")
    assert utils.create_loader() is utils.create_loader()
    assert utils.create_loader() is not first.get_component("data_loader")
    # moto's extras stay in moto's models: EC2's adds members botocore's model does not have
    moto_ec2 = utils.create_loader().load_service_model("ec2", "service-2")
    botocore_ec2 = first.get_service_data("ec2")
    assert moto_ec2 is not botocore_ec2 and moto_ec2 != botocore_ec2


def test_a_moto_without_its_loader_function_is_refused(monkeypatch: Any) -> None:
    from moto.core import utils

    monkeypatch.setattr(utils, "create_loader", lambda: None)
    with pytest.raises(EmulatorError, match="create_loader"):
        lookups.share_loaders()


def test_kms_key_material_is_generated_on_first_use_once_and_shared_by_replicas(monkeypatch: Any) -> None:
    import boto3
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_public_key
    from moto import mock_aws
    from moto.kms import models
    from moto.kms import utils as kms_utils

    made: list[str] = []
    real = kms_utils.generate_private_key

    def counting(key_spec: str) -> Any:
        made.append(key_spec)
        return real(key_spec)

    monkeypatch.setattr(kms_utils, "generate_private_key", counting)
    monkeypatch.setattr(models, "generate_private_key", counting)
    lookups.defer_kms_key_material()
    lookups.defer_kms_key_material()
    with mock_aws():
        kms = boto3.client("kms", region_name="eu-central-1")
        symmetric = kms.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyId"]
        blob = kms.encrypt(KeyId=symmetric, Plaintext=b"data")["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"data"
        assert made == []  # a symmetric key never needs the private key moto makes for it
        signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", MultiRegion=True)["KeyMetadata"]
        assert made == []
        message = {"Message": b"m", "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"}
        signature = kms.sign(KeyId=signing["KeyId"], **message)["Signature"]
        public = kms.get_public_key(KeyId=signing["KeyId"])["PublicKey"]
        assert kms.get_public_key(KeyId=signing["KeyId"])["PublicKey"] == public
        load_der_public_key(public).verify(signature, b"m", padding.PKCS1v15(), hashes.SHA256())
        assert made == ["RSA_2048"]
        kms.replicate_key(KeyId=signing["KeyId"], ReplicaRegion="eu-west-1")
        replica = boto3.client("kms", region_name="eu-west-1")
        assert replica.get_public_key(KeyId=signing["KeyId"])["PublicKey"] == public
        assert made == ["RSA_2048"]


def test_a_moto_without_its_key_generator_is_refused(monkeypatch: Any) -> None:
    from moto.kms import models

    monkeypatch.setattr(models, "generate_private_key", lambda key_spec: None)
    with pytest.raises(EmulatorError, match="generate_private_key"):
        lookups.defer_kms_key_material()

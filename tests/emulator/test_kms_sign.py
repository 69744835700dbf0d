"""KMS signatures verify offline with the public key, for RAW and DIGEST, PKCS#1 v1.5 and PSS."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

MESSAGE = b"manifest: sha256 of every evidence file"


@pytest.fixture(scope="module")
def rsa_key(aws: Callable[..., Any]) -> tuple[Any, str, Any]:
    kms = aws("kms")
    key_id = kms.create_key(KeySpec="RSA_3072", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    return kms, key_id, public


def _pss(h: hashes.HashAlgorithm) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size)


@pytest.mark.parametrize(
    ("algorithm", "hash_cls", "pss"),
    [
        ("RSASSA_PKCS1_V1_5_SHA_256", hashes.SHA256, False),
        ("RSASSA_PSS_SHA_256", hashes.SHA256, True),
        ("RSASSA_PSS_SHA_512", hashes.SHA512, True),
    ],
)
@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
def test_signature_verifies_offline(
    rsa_key: tuple[Any, str, Any], algorithm: str, hash_cls: type, pss: bool, message_type: str
) -> None:
    kms, key_id, public = rsa_key
    h = hash_cls()
    digest = hashlib.new(h.name, MESSAGE).digest()
    message = MESSAGE if message_type == "RAW" else digest
    signature = kms.sign(KeyId=key_id, Message=message, MessageType=message_type, SigningAlgorithm=algorithm)[
        "Signature"
    ]
    pad = _pss(h) if pss else padding.PKCS1v15()
    # Offline, AWS-style: the signature is over the message's digest, PSS salt = digest length.
    public.verify(signature, MESSAGE, pad, h)
    public.verify(signature, digest, pad, utils.Prehashed(h))
    verified = kms.verify(
        KeyId=key_id,
        Message=message,
        MessageType=message_type,
        Signature=signature,
        SigningAlgorithm=algorithm,
    )
    assert verified["SignatureValid"] is True


def test_tampered_signature_is_rejected(rsa_key: tuple[Any, str, Any]) -> None:
    kms, key_id, _ = rsa_key
    signature = kms.sign(KeyId=key_id, Message=MESSAGE, SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    with pytest.raises(ClientError) as excinfo:
        kms.verify(
            KeyId=key_id, Message=MESSAGE + b"!", Signature=signature, SigningAlgorithm="RSASSA_PSS_SHA_256"
        )
    assert excinfo.value.response["Error"]["Code"] == "KMSInvalidSignatureException"


def test_digest_of_wrong_length_is_refused(rsa_key: tuple[Any, str, Any]) -> None:
    kms, key_id, _ = rsa_key
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=key_id, Message=b"short", MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_ecdsa_digest_verifies_offline(aws: Callable[..., Any]) -> None:
    kms = aws("kms")
    key_id = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key_id)["PublicKey"])
    digest = hashlib.sha256(MESSAGE).digest()
    signature = kms.sign(
        KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    )["Signature"]
    public.verify(signature, MESSAGE, ec.ECDSA(hashes.SHA256()))


def test_a_moto_without_the_private_key_checks_is_refused_with_a_real_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not an ``assert`` (gone under ``python -O``): the fix refuses to install and says why."""
    from moto.kms.models import KmsBackend

    from harness.emulator.errors import EmulatorError
    from harness.emulator.patches import kms_sign

    monkeypatch.delattr(KmsBackend, kms_sign.MOTO_KEY_CHECKS[0])
    with pytest.raises(EmulatorError) as refused:
        kms_sign.apply()
    assert kms_sign.MOTO_KEY_CHECKS[0] in str(refused.value) and "moto 5.2.5" in str(refused.value)

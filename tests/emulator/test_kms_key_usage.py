"""A KMS key does only what its KeyUsage allows: the signing key never encrypts, a data key never signs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def test_a_signing_key_refuses_to_encrypt_and_a_data_key_refuses_to_sign(aws: Callable[..., Any]) -> None:
    kms = aws("kms")
    signing = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="RSA_2048")["KeyMetadata"]["KeyId"]
    data = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as encrypt:
        kms.encrypt(KeyId=signing, Plaintext=b"secret")
    assert encrypt.value.response["Error"]["Code"] == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as datakey:
        kms.generate_data_key(KeyId=signing, KeySpec="AES_256")
    assert datakey.value.response["Error"]["Code"] == "InvalidKeyUsageException"
    with pytest.raises(ClientError) as sign:
        kms.sign(KeyId=data, Message=b"\0" * 32, MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert sign.value.response["Error"]["Code"] == "InvalidKeyUsageException"
    # what each key is for still works
    assert kms.encrypt(KeyId=data, Plaintext=b"secret")["CiphertextBlob"]
    signed = kms.sign(
        KeyId=signing, Message=b"\0" * 32, MessageType="DIGEST", SigningAlgorithm="RSASSA_PSS_SHA_256"
    )
    assert signed["Signature"]

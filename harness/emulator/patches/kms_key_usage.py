"""KMS key usage: a key does only what its KeyUsage allows, refused with InvalidKeyUsageException.

moto: Encrypt, GenerateDataKey and ReEncrypt accept an asymmetric SIGN_VERIFY key (and "encrypt"
with it); Sign and Verify refuse an ENCRYPT_DECRYPT key, but as a ValidationException.
AWS: a cryptographic operation the key's KeyUsage does not allow fails with 400
``InvalidKeyUsageException`` (Encrypt/Decrypt/GenerateDataKey*/ReEncrypt need ENCRYPT_DECRYPT;
Sign/Verify need SIGN_VERIFY), so a signing key can never encrypt data and a data key never signs.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def usage(key: Any) -> str:
    """The key's KeyUsage (CreateKey's default is ENCRYPT_DECRYPT)."""
    return key.key_usage or "ENCRYPT_DECRYPT"


def apply() -> None:
    from moto.kms.exceptions import JsonRESTError
    from moto.kms.models import KmsBackend

    class InvalidKeyUsage(JsonRESTError):
        code = 400

        def __init__(self, key: Any, operation: str, needed: str) -> None:
            super().__init__(
                "InvalidKeyUsageException",
                f"{key.arn} key usage is {usage(key)} which is not valid for {operation}; "
                f"it needs KeyUsage {needed}.",
            )

    def sign_verify_check_factory(_original: Any) -> Any:
        def ensure_sign_verify(self: Any, key: Any) -> None:
            if usage(key) != "SIGN_VERIFY":
                raise InvalidKeyUsage(key, "Sign/Verify", "SIGN_VERIFY")

        return ensure_sign_verify

    def encrypt_factory(original: Any) -> Any:
        def encrypt(self: Any, key_id: str, plaintext: bytes, encryption_context: Any) -> Any:
            key = self.keys.get(self.any_id_to_key_id(key_id))
            if key is not None and usage(key) != "ENCRYPT_DECRYPT":
                raise InvalidKeyUsage(key, "Encrypt", "ENCRYPT_DECRYPT")
            return original(self, key_id, plaintext, encryption_context)

        return encrypt

    assert hasattr(KmsBackend, "_KmsBackend__ensure_valid_sign_and_verify_key")
    replace(KmsBackend, "_KmsBackend__ensure_valid_sign_and_verify_key", sign_verify_check_factory)
    replace(KmsBackend, "encrypt", encrypt_factory)

"""KMS Sign/Verify: MessageType=DIGEST signs the given digest; RSASSA-PSS uses salt = digest length.

moto: the MessageType parameter is ignored, so a DIGEST is hashed again and the signature is over
sha256(digest); RSASSA_PSS_* signs with the maximum salt length, which standard verifiers that
expect AWS's salt length reject.
AWS: with ``MessageType=DIGEST`` the message is the precomputed digest (its length must match the
algorithm's hash) and is signed as is; with ``RAW`` KMS hashes the message first. RSASSA-PSS uses
MGF1 with the same hash and a salt as long as the digest. Signatures therefore verify offline with
the public key from GetPublicKey, e.g. with the ``cryptography`` library.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..errors import EmulatorError
from ._util import replace

MOTO_KEY_CHECKS = (
    "_KmsBackend__ensure_valid_sign_and_verify_key",
    "_KmsBackend__ensure_valid_signing_algorithm",
)
"""moto's private (name-mangled) checks of a signing key and algorithm that Sign and Verify reuse, so
that their errors stay moto's; ``apply`` refuses to install the fix when a moto lacks them."""

_HASHES = {"SHA_256": "SHA256", "SHA_384": "SHA384", "SHA_512": "SHA512"}


def _hash_for(algorithm: str) -> Any:
    from cryptography.hazmat.primitives import hashes

    for suffix, name in _HASHES.items():
        if algorithm.endswith(suffix):
            return getattr(hashes, name)()
    raise ValueError(f"unknown signing algorithm {algorithm}")


def _sign_or_verify(
    private_key: Any, algorithm: str, message: bytes, digest: bool, signature: bytes | None = None
) -> Any:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
    from moto.kms.exceptions import ValidationException

    hash_algorithm = _hash_for(algorithm)
    if digest and len(message) != hash_algorithm.digest_size:
        raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
    chosen = utils.Prehashed(hash_algorithm) if digest else hash_algorithm
    key = private_key.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm.startswith("RSASSA_PSS"):
            pad: Any = padding.PSS(mgf=padding.MGF1(hash_algorithm), salt_length=hash_algorithm.digest_size)
        else:
            pad = padding.PKCS1v15()
        if signature is None:
            return key.sign(message, pad, chosen)
        try:
            key.public_key().verify(signature, message, pad, chosen)
            return True
        except InvalidSignature:
            return False
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if signature is None:
            return key.sign(message, ec.ECDSA(chosen))
        try:
            key.public_key().verify(signature, message, ec.ECDSA(chosen))
            return True
        except InvalidSignature:
            return False
    raise ValidationException(f"Key type does not support {algorithm}")


def apply() -> None:
    from moto.kms.exceptions import ValidationException
    from moto.kms.models import KmsBackend
    from moto.kms.responses import KmsResponse

    def _message_and_type(self: Any) -> tuple[bytes, bool]:
        message = self._get_param("Message")
        message_type = self._get_param("MessageType") or "RAW"
        if message_type not in ("RAW", "DIGEST"):
            raise ValidationException(
                f"1 validation error detected: Value '{message_type}' at 'MessageType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [DIGEST, RAW]"
            )
        if isinstance(message, str):
            message = base64.b64decode(message)
        if not message:
            raise ValidationException(
                "1 validation error detected: Value at 'Message' failed to satisfy constraint: "
                "Member must have length greater than or equal to 1"
            )
        return message, message_type == "DIGEST"

    def _checked_key(backend: Any, key_id: str, algorithm: str) -> Any:
        key = backend.describe_key(key_id)
        for check, arguments in zip(MOTO_KEY_CHECKS, ((key,), (key, algorithm)), strict=True):
            getattr(backend, check)(*arguments)
        return key

    def sign_factory(_original: Any) -> Any:
        def sign(self: Any) -> str:
            key_id = self._get_param("KeyId")
            algorithm = self._get_param("SigningAlgorithm")
            self._validate_key_id(key_id)
            message, digest = _message_and_type(self)
            key = _checked_key(self.kms_backend, key_id, algorithm)
            signature = _sign_or_verify(key.private_key, algorithm, message, digest)
            return json.dumps(
                {
                    "KeyId": key.arn,
                    "Signature": base64.b64encode(signature).decode(),
                    "SigningAlgorithm": algorithm,
                }
            )

        return sign

    def verify_factory(_original: Any) -> Any:
        def verify(self: Any) -> str:
            key_id = self._get_param("KeyId")
            algorithm = self._get_param("SigningAlgorithm")
            self._validate_key_id(key_id)
            message, digest = _message_and_type(self)
            signature = self._get_param("Signature")
            if isinstance(signature, str):
                signature = base64.b64decode(signature)
            if not signature:
                raise ValidationException(
                    "1 validation error detected: Value at 'Signature' failed to satisfy constraint: "
                    "Member must have length greater than or equal to 1"
                )
            key = _checked_key(self.kms_backend, key_id, algorithm)
            valid = _sign_or_verify(key.private_key, algorithm, message, digest, signature)
            if not valid:
                from moto.core.exceptions import JsonRESTError

                raise JsonRESTError("KMSInvalidSignatureException", "")
            return json.dumps({"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm})

        return verify

    missing = [name for name in MOTO_KEY_CHECKS if not callable(getattr(KmsBackend, name, None))]
    if missing:
        # moto's private key checks moved or were renamed: refuse to install a fix that would fail at
        # the first Sign call, and say which moto version this was written against.
        raise EmulatorError(
            f"the KMS Sign/Verify fix needs moto's {', '.join(missing)}, which this moto does not have",
            hint="the fix was written against moto 5.2.5 (requirements.txt): adapt kms_sign.py to this moto",
        )
    replace(KmsResponse, "sign", sign_factory)
    replace(KmsResponse, "verify", verify_factory)

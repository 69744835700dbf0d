"""CloudTrail's digest signing keys: SHA256withRSA, one key pair per region, ListPublicKeys.

AWS (log file integrity validation): each digest file is signed with the private key of a
region-specific key pair; the signature is ``SHA256withRSA`` over the signing string

    <digestEndTime>\\n<digest bucket>/<digest key>\\n
    <hex SHA-256 of the uncompressed digest>\\n<previous signature or null>

and is stored hex-encoded in the object's metadata (``x-amz-meta-signature``, with
``x-amz-meta-signature-algorithm: SHA256withRSA``). ``ListPublicKeys`` returns the public keys
whose validity overlaps StartTime..EndTime: ``Value`` (the DER-encoded PKCS#1 RSA public key, a
blob), ``ValidityStartTime``, ``ValidityEndTime`` and ``Fingerprint``
(the hex MD5 of the DER key, quoted in each digest as ``digestPublicKeyFingerprint``).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

ALGORITHM = "SHA256withRSA"
VALIDITY_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class KeyPair:
    private: Any
    der: bytes  # PKCS#1 RSAPublicKey, DER
    fingerprint: str
    valid_from: float
    valid_to: float

    def sign(self, data: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())


_lock = threading.Lock()
_keys: dict[str, KeyPair] = {}


def key_for(region: str) -> KeyPair:
    """The region's current key pair (created on first use; the emulator's state is in memory)."""
    with _lock:
        pair = _keys.get(region)
        if pair is None:
            from cryptography.hazmat.primitives import serialization
            from cryptography.hazmat.primitives.asymmetric import rsa

            private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            der = private.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.PKCS1
            )
            now = time.time()
            pair = KeyPair(private, der, hashlib.md5(der).hexdigest(), now - 60, now + VALIDITY_SECONDS)
            _keys[region] = pair
        return pair


def string_to_sign(
    end_time: str, bucket: str, key: str, digest: bytes, previous_signature: str | None
) -> bytes:
    digest_hash = hashlib.sha256(digest).hexdigest()
    return f"{end_time}\n{bucket}/{key}\n{digest_hash}\n{previous_signature or 'null'}".encode()


def public_keys(region: str, start: float | None, end: float | None) -> list[dict[str, Any]]:
    """ListPublicKeys' ``PublicKeyList``, JSON-ready (the blob travels base64-encoded)."""
    pair = key_for(region)
    now = time.time()
    start = now if start is None else start
    end = now if end is None else end
    if end < pair.valid_from or start > pair.valid_to:
        return []
    return [
        {
            "Value": base64.b64encode(pair.der).decode(),
            "ValidityStartTime": pair.valid_from,
            "ValidityEndTime": pair.valid_to,
            "Fingerprint": pair.fingerprint,
        }
    ]

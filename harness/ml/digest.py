"""SHA-256 of a file, read in chunks: the one helper for datasets, artifacts and evidence.

Standard library only, so it ships inside the container archives with the rest of ``harness.ml`` and
the evidence code can use it without loading numpy or xgboost.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()

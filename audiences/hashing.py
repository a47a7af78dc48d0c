"""Stable hashes of an mpid: the estimator's sample bucket and A/B variation buckets."""

from __future__ import annotations

import hashlib
import secrets

SAMPLE_BUCKETS = 100


def bucket(mpid: int, *, salt: str = "sample", buckets: int = SAMPLE_BUCKETS) -> int:
    """Map an mpid to 0..buckets-1, evenly and forever the same for the same salt."""
    digest = hashlib.blake2b(f"{salt}:{mpid}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % buckets


def new_mpid() -> int:
    """A random positive 63-bit mpid (never 0, which some clients treat as 'unknown')."""
    return secrets.randbits(63) or 1

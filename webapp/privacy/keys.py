"""Keyed hashes of customer ids: pseudonyms in exports, and the audit log's name for an erased customer.

Each key is derived from the app's SECRET_KEY with a purpose string (HMAC-SHA256(secret, purpose)), so one
deployment gives the same customer the same pseudonym in every export, another deployment (another secret)
a different one, and a pseudonym cannot be turned back into the id, nor linked to the audit log's hash of
the same customer (another purpose, another key). docs/security.md ("Privacy") documents both.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

PSEUDONYM_PURPOSE = b"cxroi/export-pseudonym/v1"
ERASURE_PURPOSE = b"cxroi/audit-erased-customer/v1"
OPT_OUT_PURPOSE = b"cxroi/opted-out-address/v1"
OPT_OUT_PREFIX = "hmac:"
PSEUDONYM_HEX = 32
"""A pseudonym is `p` and the first 32 hex digits (128 bits) of the keyed hash: short enough for a spreadsheet,
far too many for two customers of one deployment to share one by chance."""


def derive_key(secret_key: str | bytes, purpose: bytes) -> bytes:
    """The key of one purpose, from the app's secret key."""
    secret = secret_key.encode("utf-8") if isinstance(secret_key, str) else secret_key
    return hmac.new(secret, purpose, hashlib.sha256).digest()


def keyed_hash(key: bytes, value: str) -> str:
    """HMAC-SHA256 of `value` (UTF-8) under `key`, as 64 hex digits."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymiser(secret_key: str | bytes) -> Callable[[str | None], str | None]:
    """A function giving each customer id its pseudonym in this deployment (None stays None)."""
    key = derive_key(secret_key, PSEUDONYM_PURPOSE)

    def pseudonym(customer_id: str | None) -> str | None:
        if customer_id is None:
            return None
        return "p" + keyed_hash(key, str(customer_id))[:PSEUDONYM_HEX]

    return pseudonym


def erased_customer_target(secret_key: str | bytes, customer_id: str) -> str:
    """The audit log's target for the erasure of `customer_id`: `customer:` and its keyed hash. Whoever holds
    the id and the deployment can tell whether that customer was erased; the log alone names no one."""
    return "customer:" + keyed_hash(derive_key(secret_key, ERASURE_PURPOSE), customer_id)


def hashed_opt_out(secret_key: str | bytes, address: str) -> str:
    """How the opt-out of an erased customer's address is kept (`mail_opt_outs.email`): `hmac:` and the keyed
    hash of the normalised address. The address itself is gone; the same address given again is still
    recognised, by whoever holds the secret key."""
    return OPT_OUT_PREFIX + keyed_hash(derive_key(secret_key, OPT_OUT_PURPOSE), address.strip().lower())

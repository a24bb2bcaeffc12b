"""Values that may be used once: an LTI launch's nonce (``lti.launch``)."""

from __future__ import annotations

from .keys import once_key
from .topology import topology


def use_once(kind: str, value: str, ttl: int) -> bool:
    """True the first time ``value`` of ``kind`` is used within ``ttl`` seconds, False every time after."""
    return bool(topology().client().set(once_key(kind, value), "1", nx=True, ex=max(1, ttl)))

"""The client's address and scheme, read from forwarding headers only when a trusted proxy sent them.

Anyone can send ``X-Forwarded-For`` or ``X-Forwarded-Proto``: they are
believed only when the direct peer (``REMOTE_ADDR``) is one of
TRUSTED_PROXIES (addresses or CIDR ranges).  Only ``X-Forwarded-For`` is
read for the address; ``X-Real-IP`` and ``Forwarded`` are never read.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def _trusted(address: str) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """Return the client's address: the right-most forwarded address that is not a trusted proxy."""
    peer = request.META.get("REMOTE_ADDR", "")
    if not _trusted(peer):
        return peer
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return hops[0] if hops else peer


class TrustedProxyMiddleware:
    """Drop forwarding headers that did not come from a trusted proxy, before anything reads them.

    Django's SECURE_PROXY_SSL_HEADER believes ``X-Forwarded-Proto`` from anyone;
    without it, a client could claim HTTPS (and pass the SSL redirect) by sending it.
    """

    HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _trusted(request.META.get("REMOTE_ADDR", "")):
            for header in self.HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)

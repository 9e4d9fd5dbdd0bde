"""Which targets bypass proxies: loopback is always reached directly, the rest as httpx decides.

A corporate HTTP_PROXY/ALL_PROXY must not capture the embedded emulator or a local test server;
every other target honours HTTPS_PROXY, ALL_PROXY and NO_PROXY the way httpx reads them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1, localhost and *.localhost (RFC 6761)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def direct_mounts(urls: Iterable[str]) -> dict[str, None]:
    """httpx `mounts` that send the loopback hosts among `urls` past any proxy (None = direct)."""
    mounts: dict[str, None] = {}
    for url in urls:
        host = urlsplit(url).hostname or ""
        if host and is_loopback(host):
            mounts[f"all://[{host}]" if ":" in host else f"all://{host}"] = None
    return mounts

"""Which proxy a request goes through: the one the environment names, as curl and pip read it.

``HTTPS_PROXY``, ``HTTP_PROXY`` and ``ALL_PROXY`` (either case) name it, ``NO_PROXY`` lists
hosts, domains and networks that go direct; on macOS and Windows the system's proxy settings
count when no variable is set. A server on this machine always goes direct: a corporate proxy
cannot reach it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from codestral_lsp.providers import is_loopback
from codestral_lsp.settings import mask_url

SCHEMES = ("http", "https", "socks5", "socks5h")


class ProxyUnusable(ValueError):
    """The environment names a proxy no request can go through; the message says which."""


def proxy_for(url: str) -> str | None:
    """The proxy URL requests to ``url`` go through, or ``None`` to go direct.

    Raises :class:`ProxyUnusable` for a proxy whose scheme none of :data:`SCHEMES` is.
    """
    # Imported here: urllib.request costs start-up time, and the HTTP stack that needs a proxy
    # is itself imported after start-up.
    import urllib.request

    parts = urlsplit(url)
    if not parts.hostname or is_loopback(url):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.netloc.rpartition("@")[2]):
        return None
    if _in_listed_network(parts.hostname, proxies.get("no", "")):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy  # HTTPS_PROXY=proxy.corp:3128, as curl reads it
    if not _usable(proxy):
        raise ProxyUnusable(
            f"the proxy the environment names for {parts.scheme}:// ({mask_url(proxy)}) cannot be "
            f"used: it must be an {', '.join(SCHEMES)} URL with a host"
        )
    return proxy


def _in_listed_network(host: str, listed: str) -> bool:
    """Whether ``host`` is an address inside a network ``NO_PROXY`` lists (``10.0.0.0/8``), as
    curl and requests read it; urllib knows names and addresses, not networks."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    for entry in listed.split(","):
        try:
            if "/" in entry and address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue  # not a network: urllib judged it already
    return False


def _usable(proxy: str) -> bool:
    try:
        parts = urlsplit(proxy)
        return parts.scheme.lower() in SCHEMES and bool(parts.hostname)
    except ValueError:  # an unclosed [ of an IPv6 address
        return False


def routes(urls: Mapping[str, str]) -> dict[str, str | None]:
    """:func:`proxy_for` each of ``urls``, by the same names (raises as it does)."""
    return {name: proxy_for(url) for name, url in urls.items()}

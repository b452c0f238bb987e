"""Which proxy a request goes through: the one the environment names, as curl and pip read it.

``HTTPS_PROXY``, ``HTTP_PROXY`` and ``ALL_PROXY`` (either case) name it, ``NO_PROXY`` lists
hosts, domains and networks that go direct; on macOS and Windows the system's proxy settings
count when no variable is set. A server on this machine or on the local network (a private
address, a name without a dot) always goes direct: a corporate proxy cannot reach it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from codestral_lsp.log import REDACTOR
from codestral_lsp.providers import is_loopback

SCHEMES = ("http", "https", "socks5", "socks5h")


class ProxyUnusable(ValueError):
    """The environment names a proxy no request can go through; the message says which."""


def proxy_for(url: str) -> str | None:
    """The proxy URL requests to ``url`` go through, or ``None`` to go direct. Its user name
    and password, if any, are registered with the log's redactor.

    Raises :class:`ProxyUnusable` for a proxy that is no URL of one of :data:`SCHEMES` with a
    host, or whose password holds a ``/``, ``?`` or ``#`` not percent-encoded.
    """
    # Imported here: urllib.request costs start-up time, and the HTTP stack that needs a proxy
    # is itself imported after start-up.
    import urllib.request

    parts = urlsplit(url)
    host = parts.hostname
    if not host or is_loopback(url) or _local(host):
        return None
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or _bypassed(parts.netloc.rpartition("@")[2], host, proxies.get("no", "")):
        return None
    if "://" not in proxy:
        proxy = "http://" + proxy  # HTTPS_PROXY=proxy.corp:3128, as curl reads it
    _hide_credentials(proxy)
    problem = _problem(proxy)
    if problem:
        raise ProxyUnusable(
            f"the proxy the environment names for {parts.scheme}:// ({shown(proxy)}) cannot be "
            f"used: {problem}"
        )
    return proxy


def shown(proxy: str) -> str:
    """``proxy`` with all between its scheme and its host's last ``@`` as ``***``: its password
    may hold a ``/`` or ``#``, which ends a URL's authority for every parser."""
    scheme, sep, rest = proxy.partition("://")
    if "@" not in rest:
        return proxy
    return f"{scheme}{sep}***@{rest.rpartition('@')[2]}"


def _hide_credentials(proxy: str) -> None:
    userinfo = proxy.partition("://")[2].rpartition("@")[0]
    for secret in userinfo.split(":", 1):
        REDACTOR.add(secret)
        REDACTOR.add(unquote(secret))


def _problem(proxy: str) -> str:
    """What makes ``proxy`` unusable, or ``""``."""
    authority = proxy.partition("://")[2]
    if "@" in authority and any(c in authority.rpartition("@")[0] for c in "/?#"):
        return "percent-encode the /, ? or # in its user name or password (%2F, %3F, %23)"
    try:
        parts = urlsplit(proxy)
        if parts.scheme.lower() in SCHEMES and parts.hostname:
            return ""
    except ValueError:  # an unclosed [ of an IPv6 address
        pass
    return f"it must be an {', '.join(SCHEMES)} URL with a host"


def _local(host: str) -> bool:
    """A name without a dot (``gpu-box``) or a private or link-local address: the local
    network, which a proxy out to the internet does not reach (Windows calls it ``<local>``)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return address.is_private or address.is_link_local


def _bypassed(netloc: str, host: str, listed: str) -> bool:
    """Whether ``NO_PROXY`` lists ``host`` (``netloc``: with its port): as urllib reads it
    (names, domains, addresses, ``host:port``), and as curl and requests also do, networks
    (``10.0.0.0/8``), bare IPv6 addresses and ``*.domain`` for ``.domain``."""
    import urllib.request  # loaded already by proxy_for: a lookup, not an import

    if urllib.request.proxy_bypass(netloc):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for entry in (item.strip().lower() for item in listed.split(",")):
        if entry.startswith("*.") and (host == entry[2:] or host.endswith(entry[1:])):
            return True
        if address is not None and _in_network(address, entry):
            return True
    return False


def _in_network(address: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str) -> bool:
    try:
        return address in ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return False  # a name: urllib judged it already


def routes(urls: Mapping[str, str]) -> dict[str, str | None]:
    """:func:`proxy_for` each of ``urls``, by the same names (raises as it does)."""
    return {name: proxy_for(url) for name, url in urls.items()}

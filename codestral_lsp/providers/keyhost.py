"""Which Mistral host a key belongs to.

A key from codestral.mistral.ai is refused by api.mistral.ai and the other way round, both
with a bare 401. Asking each host's ``GET /models`` with the key tells them apart without
spending tokens. The hosts are parameters so tests point them at local servers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from codestral_lsp.providers import ConnectError
from codestral_lsp.providers._http import auth_headers, new_client

PROBE_TIMEOUT_S = 5.0


async def key_works(base_url: str, api_key: str, proxy: str | None = None) -> bool | None:
    """``True`` if the host accepts the key, ``False`` if it refuses it, ``None`` if unknown
    (``proxy``: the one requests to it go through)."""
    headers = {**auth_headers(api_key), "Accept": "application/json"}
    try:
        # Overall, not per read: a host trickling bytes would keep a read timeout at bay.
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            async with new_client(PROBE_TIMEOUT_S, proxy) as client:
                response = await client.get(base_url.rstrip("/") + "/models", headers=headers)
    except (httpx.HTTPError, TimeoutError, ConnectError):
        return None
    if response.status_code in (401, 403):
        return False
    return True if response.is_success else None


async def verdicts(
    api_key: str, hosts: Mapping[str, str], proxies: Mapping[str, str | None] | None = None
) -> dict[str, bool | None]:
    """What each host in ``hosts`` says of the key (see :func:`key_works`), by preset name;
    ``proxies`` names the proxy for each that has one."""
    names = list(hosts)
    routes = proxies or {}
    results = await asyncio.gather(
        *(key_works(hosts[name], api_key, routes.get(name)) for name in names)
    )
    return dict(zip(names, results, strict=True))


def accepting(said: Mapping[str, bool | None]) -> str | None:
    """The first host (preset name) of :func:`verdicts` that accepts the key, else ``None``."""
    return next((name for name, ok in said.items() if ok), None)


async def owner(
    api_key: str, hosts: Mapping[str, str], proxies: Mapping[str, str | None] | None = None
) -> str | None:
    """The name (preset) of the first host in ``hosts`` that accepts the key, else ``None``."""
    return accepting(await verdicts(api_key, hosts, proxies))


def host_of(url: str) -> str:
    """The host name of a base URL, for messages."""
    return urlsplit(url).netloc or url


def switch_advice(owner_name: str) -> str:
    """Exactly what to set so the key goes to the host it belongs to."""
    return f'set codestral.provider = "{owner_name}" (or CODESTRAL_PROVIDER={owner_name})'

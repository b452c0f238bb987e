"""A real forward proxy on 127.0.0.1 that tunnels ``CONNECT`` (as a corporate HTTPS proxy does),
and a throwaway certificate authority for the TLS servers behind it.

Every tunnel leads to one local server, whatever host the client asked for, so a test can name a
host that does not exist (``fim.example.test``) and still reach its fake endpoint, with nothing
leaving the machine. The proxy records what it was asked and every byte it relayed.
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import socketserver
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Tunnel:
    """One ``CONNECT`` as the proxy saw it."""

    target: str
    authorization: str | None


class FakeProxy:
    """Threaded ``CONNECT`` proxy to ``upstream_port`` (a SOCKS5 one with ``socks``); with
    ``credentials`` (``user:password``) it refuses a request without them."""

    def __init__(
        self, upstream_port: int, credentials: str | None = None, socks: bool = False
    ) -> None:
        self.upstream_port = upstream_port
        self.credentials = credentials
        self.scheme = "socks5h" if socks else "http"
        self.tunnels: list[Tunnel] = []
        self.refused = 0
        self.connections = 0
        self.relayed = bytearray()
        self._lock = threading.Lock()
        handler = type("Handler", (_SocksHandler if socks else _Handler,), {"proxy": self})
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, credentials: str | None = None) -> str:
        """The proxy's URL, as ``HTTPS_PROXY`` names it."""
        userinfo = f"{credentials}@" if credentials else ""
        return f"{self.scheme}://{userinfo}127.0.0.1:{self.port}"

    def __enter__(self) -> FakeProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def allows(self, authorization: str | None) -> bool:
        if self.credentials is None:
            return True
        expected = "Basic " + base64.b64encode(self.credentials.encode()).decode()
        return authorization == expected

    def connected(self) -> None:
        with self._lock:
            self.connections += 1

    def refuse(self) -> None:
        with self._lock:
            self.refused += 1

    def note(self, tunnel: Tunnel | None = None, data: bytes = b"") -> None:
        with self._lock:
            if tunnel is not None:
                self.tunnels.append(tunnel)
            self.relayed += data


class _Handler(socketserver.StreamRequestHandler):
    proxy: FakeProxy
    rbufsize = 0  # unbuffered: no byte after the CONNECT's headers may wait unrelayed in a buffer

    def handle(self) -> None:
        self.proxy.connected()
        request = self.rfile.readline().decode("latin-1").split()
        headers: dict[str, str] = {}
        while (line := self.rfile.readline().decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if len(request) < 2 or request[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        authorization = headers.get("proxy-authorization")
        if not self.proxy.allows(authorization):
            self.proxy.refuse()
            self.wfile.write(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'
            )
            return
        self.proxy.note(Tunnel(request[1], authorization))
        with socket.create_connection(("127.0.0.1", self.proxy.upstream_port)) as upstream:
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            relay(self.proxy, self.connection, upstream)


class _SocksHandler(socketserver.StreamRequestHandler):
    """SOCKS5 (RFC 1928), with user and password (RFC 1929) when the proxy has credentials."""

    proxy: FakeProxy
    rbufsize = 0

    def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes (an unbuffered read may return fewer)."""
        data = b""
        while len(data) < size:
            more = self.rfile.read(size - len(data))
            if not more:
                raise ConnectionError("the client hung up mid-handshake")
            data += more
        return data

    def handle(self) -> None:
        self.proxy.connected()
        _, count = self.read(2)
        offered = self.read(count)
        method = 2 if self.proxy.credentials else 0
        if method not in offered:
            self.proxy.refuse()
            self.wfile.write(b"\x05\xff")
            return
        self.wfile.write(bytes([5, method]))
        authorization = self._credentials() if method == 2 else None
        if method == 2 and not self.proxy.allows(authorization):
            self.proxy.refuse()
            self.wfile.write(b"\x01\x01")
            return
        if method == 2:
            self.wfile.write(b"\x01\x00")
        kind = self.read(4)[3]  # version, command (CONNECT), reserved, address type
        named = kind == 3  # a host name (socks5h), else an IPv4 address
        host = self.read(self.read(1)[0]).decode() if named else socket.inet_ntoa(self.read(4))
        port = int.from_bytes(self.read(2), "big")
        self.proxy.note(Tunnel(f"{host}:{port}", authorization))
        with socket.create_connection(("127.0.0.1", self.proxy.upstream_port)) as upstream:
            self.wfile.write(b"\x05\x00\x00\x01\x7f\x00\x00\x01" + port.to_bytes(2, "big"))
            relay(self.proxy, self.connection, upstream)

    def _credentials(self) -> str:
        """The user and password sent, as the ``Basic`` value :meth:`FakeProxy.allows` reads."""
        self.read(1)
        user = self.read(self.read(1)[0])
        password = self.read(self.read(1)[0])
        return "Basic " + base64.b64encode(user + b":" + password).decode()


def relay(proxy: FakeProxy, client: socket.socket, upstream: socket.socket) -> None:
    """Copy bytes both ways until one side hangs up, noting them all."""
    peers = {client: upstream, upstream: client}
    with contextlib.suppress(OSError):
        while True:
            ready, _, _ = select.select(list(peers), [], [], 30)
            if not ready:
                return
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                proxy.note(data=data)
                peers[sock].sendall(data)


def certificate_for(directory: Path, host: str) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for ``host`` (a DNS name or an IP address) and its
    key, made with the openssl tool. A client that has it in ``SSL_CERT_FILE`` trusts it."""
    cert, key = directory / f"{host}.pem", directory / f"{host}.key"
    kind = "IP" if host.replace(".", "").isdigit() else "DNS"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName={kind}:{host}",
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key

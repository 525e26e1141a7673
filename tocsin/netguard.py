"""Outbound connections that cannot be steered into private networks (SSRF guard).

Checking a URL's host and then letting the HTTP client connect resolves the name
twice: a hostile DNS server answers the check with a public address and the
connection with 127.0.0.1 (DNS rebinding). Here the name is resolved once, per
connection, inside the HTTP client's network layer; every address is checked and
the socket is opened to a checked address, never to the name. TLS still verifies
the certificate against the name (SNI and hostname check use the URL's host).

Used by the collectors' fetcher and by the webhook notifier.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from tocsin.errors import PeerError

Resolver = Callable[[str, int], Awaitable[list[str]]]
Permit = Callable[[str, int], bool]
"""``permit(address, port)``: may a connection go to this address?"""


def is_private_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for addresses a public source must not send us to: private, loopback, link-local,
    multicast, reserved, unspecified, and IPv6 forms that embed one of those."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return True  # not an address we understand: refuse rather than guess
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_private_address(ip.ipv4_mapped)
        embedded = ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and is_private_address(embedded):
            return True
    return bool(ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


def public_only(address: str, port: int) -> bool:
    """The default permit: public addresses only."""
    return not is_private_address(address)


def permit_public_and(exceptions: Iterable[str]) -> Permit:
    """Public addresses, plus each ``host:port`` or ``address:port`` named in ``exceptions`` (the
    demo's own feed server), never every private address."""
    allowed = {_endpoint(text) for text in exceptions}

    def permit(address: str, port: int) -> bool:
        return not is_private_address(address) or (address, port) in allowed

    return permit


def _endpoint(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return str(ipaddress.ip_address(host.strip("[]"))), int(port)


async def resolve(host: str, port: int) -> list[str]:
    """Addresses ``host`` resolves to (sorted, unique); a literal IP resolves to itself."""
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


class RefusedAddress(httpcore.ConnectError, PeerError):
    """A connection refused by the guard; httpx raises it as ``httpx.ConnectError`` with this as
    its ``__cause__`` and the same message. Callers turn it into their own refusal
    (``collectors.fetch.UnsafeTarget``, a permanent ``DeliveryError``), never a retry."""

    def __init__(self, host: str, address: str | None) -> None:
        self.host = host
        self.address = address
        if address is None:
            super().__init__(f"cannot resolve {host!r}")
        else:
            super().__init__(f"refusing a connection to {host!r}, which resolves to the non-public "
                             f"address {address}")


def refused(exc: BaseException) -> RefusedAddress | None:
    """The guard's refusal behind an ``httpx`` error, if that is what it was."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, RefusedAddress):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network layer with the name resolved once and every address checked."""

    def __init__(self, permit: Permit = public_only, resolver: Resolver = resolve,
                 inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.permit = permit
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await self.resolver(host, port)
        if not addresses:
            raise RefusedAddress(host, None)
        for address in addresses:
            if not self.permit(address, port):
                raise RefusedAddress(host, address)
        failure: Exception | None = None
        # Each address was checked above; the name is not looked up again.
        for address in addresses:
            try:
                return await self.inner.connect_tcp(address, port, timeout=timeout,
                                                    local_address=local_address,
                                                    socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not reachable through the guard")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def guarded_transport(permit: Permit = public_only, resolver: Resolver = resolve,
                      **options: Any) -> httpx.AsyncHTTPTransport:
    """An ``httpx`` transport whose connections go through :class:`GuardedBackend`.

    httpx has no public way to pass a network backend, so the pool it builds is
    given ours; ``tests/tocsin/test_netguard.py`` fails if a release moves it.
    """
    transport = httpx.AsyncHTTPTransport(**options)
    pool = transport._pool
    if not hasattr(pool, "_network_backend"):
        raise RuntimeError("this httpx/httpcore release has no _network_backend to guard")
    pool._network_backend = GuardedBackend(permit, resolver)
    return transport

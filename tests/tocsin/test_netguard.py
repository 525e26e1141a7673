"""The SSRF guard's network layer: one lookup per connection, every address checked, the socket
opened to the checked address (issue 14, item 7: DNS rebinding)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from tocsin.netguard import (
    RefusedAddress,
    guarded_transport,
    is_private_address,
    permit_public_and,
    public_only,
    refused,
)
from tocsin_embedded.ports import free_port


@pytest.fixture
async def server() -> AsyncIterator[int]:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"hello {request.host}")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield port
    finally:
        await runner.cleanup()


class Rebinding:
    """A hostile DNS server: a checked answer first, then loopback's neighbour 10.x."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_the_name_is_resolved_once_and_the_socket_goes_to_the_checked_address(server: int) -> None:
    # 127.0.0.1:<server> stands for a public address here (no test may leave the machine).
    resolver = Rebinding(["127.0.0.1"], ["10.0.0.7"])
    permit = permit_public_and([f"127.0.0.1:{server}"])
    async with httpx.AsyncClient(transport=guarded_transport(permit, resolver)) as client:
        response = await client.get(f"http://rebind.test:{server}/")
    assert response.text == f"hello rebind.test:{server}"  # the Host header keeps the name
    assert resolver.lookups == ["rebind.test"]
    # A new connection looks up again, and the rebound answer is refused before any connect.
    async with httpx.AsyncClient(transport=guarded_transport(permit, resolver)) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.get(f"http://rebind.test:{server}/")
    refusal = refused(caught.value)
    assert isinstance(refusal, RefusedAddress) and refusal.address == "10.0.0.7"
    assert resolver.lookups == ["rebind.test", "rebind.test"]


async def test_one_private_address_among_public_ones_refuses_the_name(server: int) -> None:
    resolver = Rebinding(["127.0.0.1", "169.254.169.254"])
    permit = permit_public_and([f"127.0.0.1:{server}"])
    async with httpx.AsyncClient(transport=guarded_transport(permit, resolver)) as client:
        with pytest.raises(httpx.ConnectError, match=r"non-public address 169\.254\.169\.254"):
            await client.get(f"http://mixed.test:{server}/")


async def test_the_exception_names_one_endpoint_not_every_private_address(server: int) -> None:
    permit = permit_public_and([f"127.0.0.1:{server}"])
    assert permit("127.0.0.1", server) and not permit("127.0.0.1", server + 1)
    assert not permit("10.0.0.1", server) and permit("8.8.8.8", 443)
    async with httpx.AsyncClient(transport=guarded_transport(public_only)) as client:
        with pytest.raises(httpx.ConnectError, match=r"non-public address 127\.0\.0\.1"):
            await client.get(f"http://127.0.0.1:{server}/")


async def test_an_unresolvable_name_is_refused_with_its_name() -> None:
    async with httpx.AsyncClient(transport=guarded_transport(public_only, Rebinding([]))) as client:
        with pytest.raises(httpx.ConnectError, match=r"cannot resolve 'nowhere\.test'"):
            await client.get("http://nowhere.test/")


@pytest.mark.parametrize(("address", "private"), [
    ("8.8.8.8", False), ("2001:4860:4860::8888", False), ("127.0.0.1", True), ("169.254.169.254", True),
    ("10.1.2.3", True), ("::ffff:127.0.0.1", True), ("2002:7f00:1::", True), ("fe80::1", True),
    ("0.0.0.0", True), ("not an address", True),
])
def test_private_addresses(address: str, private: bool) -> None:
    assert is_private_address(address) is private

"""The guarded outbound client against real sockets: pinning, TLS names, actionable errors."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
import trustme

from signalpost.api.sfmc.ens import probe
from signalpost.egress import (
    AddressGuard,
    AddressRefused,
    ConnectFailed,
    ConnectionClosed,
    ConnectTimedOut,
    EgressClient,
    InvalidResponse,
    IPAddress,
    TimedOut,
    TlsFailed,
)
from signalpost.webhooks.delivery import Deliverer
from signalpost.webhooks.schemas import DeliveryPolicy

Reader = asyncio.StreamReader
Writer = asyncio.StreamWriter
Behaviour = Callable[[Reader, Writer], Awaitable[None]]
PUBLIC = ipaddress.ip_address("127.0.0.2")  # stands for a public address in these tests
LOOPBACK = ipaddress.ip_address("127.0.0.1")


def only_loopback_refused(ip: IPAddress) -> str | None:
    return "a loopback address" if ip == LOOPBACK else None


class Answers:
    """A resolver under the test's control: one answer per call, the last one repeated."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.calls = 0

    async def __call__(self, host: str, port: int) -> list[str]:
        del host, port
        self.calls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Peer:
    """A TCP server on one address; records the request heads it read."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.heads: list[bytes] = []
        self.handlers: set[asyncio.Task[None]] = set()
        self.writers: set[Writer] = set()

    async def __call__(self, reader: Reader, writer: Writer) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
        self.writers.add(writer)
        try:
            await self.behaviour(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        """Ends the connections still open and waits for their handlers."""
        for writer in self.writers:
            writer.transport.abort()  # the handler's next read ends
        await asyncio.wait_for(asyncio.gather(*self.handlers, return_exceptions=True), 5)

    async def read_request(self, reader: Reader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return await reader.readexactly(int(value))
        return b""


def answering(body: bytes, status: str = "200 OK", extra: bytes = b"") -> Behaviour:
    async def behave(reader: Reader, writer: Writer) -> None:
        peer: Peer = behave.peer  # type: ignore[attr-defined]
        while True:
            await peer.read_request(reader)
            writer.write(
                f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n".encode()
                + extra
                + b"\r\n"
                + body
            )
            await writer.drain()

    return behave


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def serving(
    behaviour: Behaviour, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[Peer, int]]:
    peer = Peer(behaviour)
    behaviour.peer = peer  # type: ignore[attr-defined]
    server = await asyncio.start_server(peer, host, port, ssl=tls)
    try:
        yield peer, server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await peer.stop()


@asynccontextmanager
async def client_for(
    guard: AddressGuard, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[EgressClient]:
    client = EgressClient(guard, ssl_context=ssl_context)
    try:
        yield client
    finally:
        await client.aclose()


def rebinding_guard(*answers: list[str], ttl: float = 30.0) -> tuple[AddressGuard, Answers]:
    resolver = Answers(*answers)
    guard = AddressGuard(
        allow_private=False, resolver=resolver, refuse=only_loopback_refused, resolve_ttl=ttl
    )
    return guard, resolver


# --------------------------------------------------------------------------- pinning


async def test_the_connection_goes_to_the_address_that_was_vetted() -> None:
    port = free_port("127.0.0.2")
    async with (
        serving(answering(b"public"), "127.0.0.2", port) as (public, _),
        serving(answering(b"secret"), "127.0.0.1", port) as (secret, _),
    ):
        guard, resolver = rebinding_guard(["127.0.0.2"], ["127.0.0.1"])
        assert await guard.addresses("rebind.test", port) == [PUBLIC]  # as the API checks
        async with client_for(guard) as client:
            reply = await client.post(f"http://rebind.test:{port}/cb", b"{}", {}, timeout=5)
        assert (reply.status, reply.body) == (200, b"public")
        assert resolver.calls == 1  # no second lookup between the check and the connection
        assert public.heads[0].startswith(b"POST /cb HTTP/1.1\r\n")
        assert f"host: rebind.test:{port}".encode() in public.heads[0].lower()
        assert secret.heads == []


async def test_a_rebound_answer_is_vetted_before_anything_connects() -> None:
    port = free_port("127.0.0.2")
    async with (
        serving(answering(b"public"), "127.0.0.2", port),
        serving(answering(b"secret"), "127.0.0.1", port) as (secret, _),
    ):
        guard, _resolver = rebinding_guard(["127.0.0.2"], ["127.0.0.1"], ttl=0)
        await guard.addresses("rebind.test", port)
        async with client_for(guard) as client:
            with pytest.raises(AddressRefused) as caught:
                await client.post(f"http://rebind.test:{port}/cb", b"{}", {}, timeout=5)
            mixed, _ = rebinding_guard(["127.0.0.2", "127.0.0.1"])
        assert caught.value.message == "rebind.test resolves to 127.0.0.1, a loopback address"
        async with client_for(mixed) as client:
            with pytest.raises(AddressRefused):  # every address is vetted, not just the first
                await client.post(f"http://mixed.test:{port}/cb", b"{}", {}, timeout=5)
        assert secret.heads == []


async def test_the_callback_check_never_reaches_a_rebound_address() -> None:
    port = free_port("127.0.0.2")
    async with (
        serving(answering(b"", "404 Not Found"), "127.0.0.2", port) as (public, _),
        serving(answering(b"secret", "200 OK"), "127.0.0.1", port) as (secret, _),
    ):
        url = f"http://rebind.test:{port}/callback"
        guard, _ = rebinding_guard(["127.0.0.2"], ["127.0.0.1"])
        async with client_for(guard) as client:
            assert await probe(client, url, "cb-1", "key") == "Status: 404"
        rebound, _ = rebinding_guard(["127.0.0.2"], ["127.0.0.1"], ttl=0)
        await rebound.addresses("rebind.test", port)
        async with client_for(rebound) as client:
            problem = await probe(client, url, "cb-1", "key")
        assert problem == "rebind.test resolves to 127.0.0.1, a loopback address"
        assert len(public.heads) == 1
        assert secret.heads == []


async def test_redirects_are_not_followed() -> None:
    async with serving(answering(b"secret")) as (secret, secret_port):
        location = f"location: http://127.0.0.1:{secret_port}/\r\n".encode()
        async with serving(answering(b"", "302 Found", location)) as (_, port):
            guard = AddressGuard(allow_private=True)
            async with client_for(guard) as client:
                reply = await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=5)
    assert reply.status == 302
    assert secret.heads == []


async def test_tls_keeps_the_name_for_sni_and_the_certificate() -> None:
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.test").configure_cert(server_tls)
    names: list[str | None] = []

    def note_name(_sock: ssl.SSLObject, name: str | None, _ctx: ssl.SSLContext) -> None:
        names.append(name)

    server_tls.sni_callback = note_name
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)
    async with serving(answering(b"ok"), "127.0.0.2", tls=server_tls) as (_, port):
        guard, _ = rebinding_guard(["127.0.0.2"])
        async with client_for(guard, client_tls) as client:
            reply = await client.post(f"https://hooks.test:{port}/", b"{}", {}, timeout=5)
            assert (reply.status, reply.body) == (200, b"ok")
            other, _ = rebinding_guard(["127.0.0.2"])
            async with client_for(other, client_tls) as mismatched:
                with pytest.raises(TlsFailed) as caught:
                    await mismatched.post(f"https://other.test:{port}/", b"{}", {}, timeout=5)
    assert names[0] == "hooks.test"
    assert caught.value.message.startswith(
        f"the TLS certificate of other.test:{port} (127.0.0.2) was not accepted: "
    )
    assert "other.test" in caught.value.message


# --------------------------------------------------------------------------- errors


async def test_a_refused_connection_says_by_whom() -> None:
    port = free_port()
    async with client_for(AddressGuard(allow_private=True)) as client:
        with pytest.raises(ConnectFailed) as literal:
            await client.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=5)
    named = AddressGuard(allow_private=True, resolver=Answers(["127.0.0.1"]))
    async with client_for(named) as client:
        with pytest.raises(ConnectFailed) as by_name:
            await client.post(f"http://hooks.test:{port}/hook", b"{}", {}, timeout=5)
    assert literal.value.message == f"connection refused by 127.0.0.1:{port}"
    assert by_name.value.message == f"connection refused by hooks.test:{port} (127.0.0.1)"


async def _close_after_reading(reader: Reader, writer: Writer) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def _never_answer(reader: Reader, writer: Writer) -> None:
    await reader.readuntil(b"\r\n\r\n")
    await reader.read()  # until the client gives up and closes


async def _not_http(reader: Reader, writer: Writer) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    await writer.drain()
    await reader.read()


async def _short_body(reader: Reader, writer: Writer) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten..")
    await writer.drain()


@pytest.mark.parametrize(
    ("behaviour", "error", "message"),
    [
        (_close_after_reading, ConnectionClosed, "{where} closed the connection before a response"),
        (_never_answer, TimedOut, "timed out after 0.3 s waiting for a response from {where}"),
        (_not_http, InvalidResponse, "invalid HTTP response from {where}: "),
        (_short_body, ConnectionClosed, "{where} closed the connection during the response"),
    ],
)
async def test_receiver_faults_are_named(
    behaviour: Behaviour, error: type[Exception], message: str
) -> None:
    async with serving(behaviour) as (_, port):
        async with client_for(AddressGuard(allow_private=True)) as client:
            with pytest.raises(error) as caught:
                await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=0.3)
    assert str(caught.value).startswith(message.format(where=f"127.0.0.1:{port}"))


async def _plain_http_error(reader: Reader, writer: Writer) -> None:
    await reader.read(1)  # a TLS ClientHello is not HTTP
    writer.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
    await writer.drain()


async def test_tls_to_a_plain_server_is_a_handshake_failure() -> None:
    async with serving(_plain_http_error) as (_, port):
        async with client_for(AddressGuard(allow_private=True)) as client:
            with pytest.raises(TlsFailed) as caught:
                await client.post(f"https://127.0.0.1:{port}/", b"{}", {}, timeout=5)
    assert caught.value.message.startswith(f"TLS handshake with 127.0.0.1:{port} failed: ")


async def test_attempt_errors_carry_the_kind_and_the_clients_words() -> None:
    port = free_port()
    policy = DeliveryPolicy(response_body_limit=8)
    async with client_for(AddressGuard(allow_private=True)) as client:
        deliverer = Deliverer(policy, client)
        failed = await deliverer.post(f"http://127.0.0.1:{port}/hook", b"{}", {})
        async with serving(answering(b"0123456789" * 500)) as (_, up):
            ok = await deliverer.post(f"http://127.0.0.1:{up}/hook", b"{}", {})
    assert failed.error == f"connect: connection refused by 127.0.0.1:{port}"
    assert (ok.ok, ok.status_code, ok.response_body) == (True, 200, "01234567")


async def test_a_connection_not_made_in_time_is_told_from_an_answer_not_given() -> None:
    """A listener whose accept queue is full drops new connection attempts: the request
    never left (a carrier may fail over), unlike a request waiting for its answer."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = [socket.create_connection(("127.0.0.1", port), timeout=5)]  # fills it
        try:
            client = EgressClient(AddressGuard(allow_private=True), connect_timeout=0.3)
            try:
                with pytest.raises(ConnectTimedOut) as caught:
                    await client.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=5)
            finally:
                await client.aclose()
        finally:
            for s in queued:
                s.close()
    assert str(caught.value) == f"timed out after 0.3 s connecting to 127.0.0.1:{port}"
    async with serving(_never_answer) as (_, port):
        async with client_for(AddressGuard(allow_private=True)) as answering:
            with pytest.raises(TimedOut) as waited:
                await answering.post(f"http://127.0.0.1:{port}/", b"{}", {}, timeout=0.3)
    assert not isinstance(waited.value, ConnectTimedOut)

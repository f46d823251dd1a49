"""Which addresses outbound requests may reach, and the guard that resolves and vets them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signalpost.egress import (
    AddressGuard,
    AddressRefused,
    ResolveFailed,
    embedded_ipv4,
    refusal,
)

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address

LOCAL_NETWORKS = [
    "127.0.0.0/8",
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "0.0.0.0/8",
    "224.0.0.0/4",
    "240.0.0.0/4",
    "198.18.0.0/15",
    "192.0.2.0/24",
    "::1/128",
    "fe80::/10",
    "fc00::/7",
    "ff00::/8",
    "64:ff9b:1::/48",
]
LOCAL_V4 = [n for n in LOCAL_NETWORKS if ":" not in n]


def _address_in(network: str, offset: int) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    net = ipaddress.ip_network(network)
    return net.network_address + (offset % net.num_addresses)


def mapped(v4: V4, _bits: int) -> V6:
    return V6((0xFFFF << 32) | int(v4))


def sixtofour(v4: V4, bits: int) -> V6:
    return V6((0x2002 << 112) | (int(v4) << 80) | (bits & ((1 << 80) - 1)))


def nat64(v4: V4, _bits: int) -> V6:
    return V6((0x64FF9B << 96) | int(v4))


def compatible(v4: V4, _bits: int) -> V6:
    return V6(int(v4))


def translated(v4: V4, _bits: int) -> V6:
    return V6((0xFFFF << 48) | int(v4))


def teredo(v4: V4, bits: int) -> V6:
    server = bits & 0xFFFF_FFFF
    flags_port = (bits >> 32) & 0xFFFF_FFFF
    return V6((0x2001 << 112) | (server << 64) | (flags_port << 32) | (int(v4) ^ 0xFFFF_FFFF))


Form = Callable[[V4, int], V6]
TRANSPARENT: list[Form] = [mapped, sixtofour, nat64]  # written forms of the IPv4 address
OPAQUE: list[Form] = [compatible, translated, teredo]  # deprecated or tunnelled forms
ALL_FORMS = TRANSPARENT + OPAQUE

offsets = st.integers(min_value=0, max_value=2**64)
any_v4 = st.integers(min_value=0, max_value=2**32 - 1).map(V4)
low_bits = st.integers(min_value=0, max_value=2**80 - 1)


@given(st.sampled_from(LOCAL_NETWORKS), offsets)
def test_every_local_address_is_refused(network: str, offset: int) -> None:
    assert refusal(_address_in(network, offset)) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@given(st.sampled_from(LOCAL_V4), offsets, st.sampled_from(ALL_FORMS), low_bits)
def test_a_local_ipv4_address_is_refused_in_every_form(
    network: str, offset: int, form: Form, bits: int
) -> None:
    v4 = _address_in(network, offset)
    assert isinstance(v4, V4)
    v6 = form(v4, bits)
    own = refusal(v4)
    assert own is not None
    if form is compatible and int(v4) <= 1:  # :: and ::1, refused as what they are
        assert refusal(v6) is not None
        return
    found = embedded_ipv4(v6)
    assert found is not None
    assert found.ipv4 == v4
    reason = refusal(v6)
    assert reason is not None
    assert reason.startswith(own)  # refused like the address it carries, and says so
    assert str(v4) in reason


@given(any_v4, st.sampled_from(TRANSPARENT), low_bits)
def test_written_forms_are_judged_exactly_like_their_ipv4_address(
    v4: V4, form: Form, bits: int
) -> None:
    assert (refusal(form(v4, bits)) is None) == (refusal(v4) is None)


@given(any_v4, st.sampled_from(OPAQUE), low_bits)
def test_deprecated_and_tunnelled_forms_are_never_allowed(v4: V4, form: Form, bits: int) -> None:
    assert refusal(form(v4, bits)) is not None


@given(st.integers(min_value=0, max_value=2**128 - 1).map(V6))
def test_no_allowed_ipv6_address_carries_a_refused_ipv4_one(v6: V6) -> None:
    found = embedded_ipv4(v6)
    if refusal(v6) is None and found is not None:
        assert refusal(found.ipv4) is None


@pytest.mark.parametrize(
    "spelling",
    [
        "::ffff:127.0.0.1",
        "::FFFF:7F00:1",
        "0:0:0:0:0:ffff:7f00:0001",
        "2002:7f00:0001::",
        "2002:7F00:1:ffff:ffff:ffff:ffff:ffff",
        "64:ff9b::127.0.0.1",
        "::127.0.0.1",
        "::ffff:0:127.0.0.1",
    ],
)
def test_every_spelling_of_loopback_is_refused(spelling: str) -> None:
    reason = refusal(ipaddress.ip_address(spelling))
    assert reason is not None
    assert reason.startswith("a loopback address")


# --------------------------------------------------------------------------- the guard


class Answers:
    """A resolver under the test's control: answers per host, in order, and counts calls."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        del port
        self.calls.append(host)
        queue = self.answers.get(host)
        if not queue:
            raise OSError(-2, "Name or service not known")
        return queue.pop(0) if len(queue) > 1 else queue[0]


async def test_a_host_is_refused_when_any_of_its_addresses_is_local() -> None:
    resolver = Answers({"mixed.example": [["93.184.216.34", "2002:a00:5::1"]]})
    guard = AddressGuard(allow_private=False, resolver=resolver)
    with pytest.raises(AddressRefused) as caught:
        await guard.addresses("mixed.example", 443)
    assert caught.value.message == (
        "mixed.example resolves to 2002:a00:5::1, a private address (6to4 form of 10.0.0.5)"
    )


async def test_a_host_is_resolved_once_and_its_answer_kept() -> None:
    resolver = Answers({"rebind.example": [["93.184.216.34"], ["127.0.0.1"]]})
    guard = AddressGuard(allow_private=False, resolver=resolver)
    first = await guard.addresses("rebind.example", 443)
    again = await guard.addresses("rebind.example", 443)
    assert first == again == [ipaddress.ip_address("93.184.216.34")]
    assert resolver.calls == ["rebind.example"]
    expired = AddressGuard(allow_private=False, resolver=resolver, resolve_ttl=0)
    with pytest.raises(AddressRefused, match=r"resolves to 127\.0\.0\.1, a loopback address"):
        await expired.addresses("rebind.example", 443)


async def test_names_and_literals_are_vetted_before_any_lookup() -> None:
    resolver = Answers({})
    guard = AddressGuard(allow_private=False, resolver=resolver)
    with pytest.raises(AddressRefused, match="localhost is a loopback host name"):
        await guard.addresses("localhost", 80)
    with pytest.raises(AddressRefused, match=r"^::ffff:a9fe:a9fe is a link-local address"):
        guard.check_host("[::ffff:169.254.169.254]")
    with pytest.raises(ResolveFailed, match=r"cannot resolve nowhere\.example: Name or service"):
        await guard.addresses("nowhere.example", 80)
    assert resolver.calls == ["nowhere.example"]
    lenient = AddressGuard(allow_private=True, resolver=Answers({"dev.test": [["127.0.0.1"]]}))
    assert await lenient.addresses("dev.test", 80) == [ipaddress.ip_address("127.0.0.1")]

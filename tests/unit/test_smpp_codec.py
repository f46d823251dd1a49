"""SMPP PDUs, text encoding with UDH concatenation, and the configuration loader (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import smpp34
from hypothesis import given, settings
from hypothesis import strategies as st

from signalpost.carriers.smpp.config import ConfigError, load_config, parse_config
from signalpost.domain import encoding
from signalpost.smpp import pdu
from signalpost.smpp.pdu import BindRequest, Command, CommandStatus
from signalpost.smpp.text import (
    DATA_CODING_GSM7,
    DATA_CODING_UCS2,
    ESM_UDHI,
    read_short_message,
    split_message,
)

# ----------------------------------------------------------------------------- PDUs


def test_bind_round_trip() -> None:
    bind = BindRequest("signalpost", "secret", "VMA", 0x34, 1, 1, "^1415")
    frame = pdu.bind_request(Command.BIND_TRANSCEIVER, 7, bind)
    assert pdu.header(frame) == (Command.BIND_TRANSCEIVER, 0, 7)
    assert int.from_bytes(frame[:4], "big") == len(frame)
    assert pdu.read_bind(frame[pdu.HEADER_SIZE :]) == bind


def test_bind_response_carries_system_id_only_when_accepted() -> None:
    ok = pdu.bind_response(Command.BIND_TRANSMITTER, 3, 0, "smsc")
    assert pdu.header(ok) == (Command.BIND_TRANSMITTER_RESP, 0, 3)
    assert ok[pdu.HEADER_SIZE :] == b"smsc\0"
    refused = pdu.bind_response(Command.BIND_TRANSMITTER, 3, CommandStatus.ESME_RINVPASWD, "x")
    assert pdu.header(refused)[1] == CommandStatus.ESME_RINVPASWD
    assert len(refused) == pdu.HEADER_SIZE


def test_truncated_bind_is_a_protocol_error() -> None:
    with pytest.raises(pdu.ProtocolError):
        pdu.read_bind(b"id\0pw\0")


def test_framer_cuts_a_stream_at_any_boundary() -> None:
    frames = [pdu.pdu(Command.ENQUIRE_LINK, n) for n in range(1, 4)]
    frames.append(smpp34.SubmitSm("a", "b", b"hello", sequence_number=9).encode())
    stream = b"".join(frames)
    for cut in range(1, len(stream)):
        framer = pdu.Framer()
        assert framer.feed(stream[:cut]) + framer.feed(stream[cut:]) == frames


@pytest.mark.parametrize("length", [0, 15, 10_000_000])
def test_framer_refuses_impossible_lengths(length: int) -> None:
    with pytest.raises(pdu.ProtocolError):
        pdu.Framer().feed(length.to_bytes(4, "big") + bytes(12))


def test_status_names_and_codec_errors() -> None:
    assert pdu.status_name(0x58) == "ESME_RTHROTTLED"
    assert pdu.status_name(0x0401) == "0x00000401"
    broken = bytes.fromhex("00000010000000040000000000000001")  # a submit_sm with no body
    with pytest.raises(pdu.ProtocolError) as caught:
        pdu.decode_sm(broken)  # the codec's own error, mapped with the status it names
    assert isinstance(caught.value.__cause__, smpp34.SmppError)
    assert caught.value.command_status not in (CommandStatus.ESME_ROK, CommandStatus.ESME_RSYSERR)
    enquire = pdu.pdu(Command.ENQUIRE_LINK, 3)
    with pytest.raises(pdu.ProtocolError) as not_a_message:
        pdu.decode_sm(enquire)
    assert not_a_message.value.command_status == CommandStatus.ESME_RSYSERR


# ----------------------------------------------------------------------------- text

gsm_text = st.text(alphabet="abcXYZ 0123@£€[]{}~\\^|", min_size=1, max_size=700)
any_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], max_codepoint=0x1F600),
    min_size=1,
    max_size=400,
)


def _reassemble(body: str, ref: int) -> tuple[str, list[int]]:
    parts = split_message(body, ref)
    texts: dict[int, str] = {}
    for part in parts:
        incoming = read_short_message(part.short_message, part.data_coding, part.esm_class)
        if len(parts) > 1:
            assert (incoming.ref, incoming.total) == (ref, len(parts))
        texts[incoming.number] = incoming.text
        assert len(part.short_message) <= (159 if part.data_coding == DATA_CODING_GSM7 else 140)
    return "".join(texts[n] for n in sorted(texts)), [p.data_coding for p in parts]


@settings(max_examples=150, deadline=None)
@given(body=gsm_text, ref=st.integers(0, 255))
def test_gsm7_bodies_survive_splitting(body: str, ref: int) -> None:
    text, codings = _reassemble(body, ref)
    assert text == body
    assert set(codings) == {DATA_CODING_GSM7}
    assert len(split_message(body, ref)) == encoding.analyze(body).segments


@settings(max_examples=150, deadline=None)
@given(body=any_text, ref=st.integers(0, 255))
def test_any_body_survives_splitting(body: str, ref: int) -> None:
    text, _ = _reassemble(body, ref)
    assert text == body
    assert len(split_message(body, ref)) == encoding.analyze(body).segments


def test_long_ucs2_message_has_concatenation_headers() -> None:
    body = "Привет, мир! " * 12  # 156 UCS-2 units: three parts of at most 67
    parts = split_message(body, 0xAB)
    assert [p.number for p in parts] == [1, 2, 3]
    for part in parts:
        assert part.data_coding == DATA_CODING_UCS2
        assert part.esm_class == ESM_UDHI
        assert part.short_message[:6] == bytes((5, 0, 3, 0xAB, 3, part.number))
        assert len(part.short_message) <= 140


def test_single_part_has_no_header() -> None:
    [part] = split_message("Hello", 1)
    assert (part.esm_class, part.data_coding, part.short_message) == (0, 0, b"Hello")


def test_sixteen_bit_reference_and_odd_codings_are_read() -> None:
    udh = bytes((6, 8, 4, 0x12, 0x34, 2, 1))
    incoming = read_short_message(udh + b"hi", DATA_CODING_GSM7, ESM_UDHI)
    assert (incoming.text, incoming.ref, incoming.total, incoming.number) == ("hi", 0x1234, 2, 1)
    assert read_short_message("é".encode("latin-1"), 3, 0).text == "é"
    assert read_short_message(b"\xe9", DATA_CODING_GSM7, 0).text == "é"  # not GSM: Latin-1


# ----------------------------------------------------------------------------- config

_MINIMAL = {"name": "a", "host": "127.0.0.1", "port": 2775, "system_id": "sp", "password": "pw"}


def test_toml_configuration(tmp_path: Path) -> None:
    path = tmp_path / "smpp.toml"
    path.write_text(
        """
[[connections]]
name = "a"
host = "127.0.0.1"
port = 2775
system_id = "sp"
password = "pw"
bind = "transmitter+receiver"
rate = 50
inbound = { organization_id = "org-1" }
inbound_numbers = { "12345" = { organization_id = "org-1", profile_id = "p-1" } }

[[connections]]
name = "b"
host = "127.0.0.2"
port = 2776
system_id = "sp"
password = "pw"

[[routes]]
prefix = "+44"
connections = ["b", "a"]
"""
    )
    config = load_config(path)
    a, b = config.connections
    assert (a.bind, a.rate, b.window) == ("transmitter+receiver", 50, 64)
    assert a.owner_for("12345") is not None
    assert a.owner_for("12345").tenant_id == "p-1"  # type: ignore[union-attr]
    assert a.owner_for("999").tenant_id == "org-1"  # type: ignore[union-attr]
    assert b.owner_for("999") is None
    assert [(r.prefix, r.connections) for r in config.routes] == [("+44", ("b", "a")), ("", ("a",))]


def test_json_configuration(tmp_path: Path) -> None:
    path = tmp_path / "smpp.json"
    path.write_text(json.dumps({"connections": [_MINIMAL], "routes": [{"connections": ["a"]}]}))
    assert load_config(path).routes[0].prefix == ""


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "at least one entry"),
        ({"connections": [{"name": "a"}]}, "missing host"),
        ({"connections": [{**_MINIMAL, "port": "x"}]}, "port has the wrong type"),
        ({"connections": [{**_MINIMAL, "bind": "both"}]}, "bind must be one of"),
        ({"connections": [{**_MINIMAL, "windoww": 3}]}, "unknown setting 'windoww'"),
        ({"connections": [{**_MINIMAL, "password": "much-too-long"}]}, "password at most 8"),
        ({"connections": [_MINIMAL, _MINIMAL]}, "unique"),
        ({"connections": [_MINIMAL], "routes": [{"connections": ["z"]}]}, "unknown connection"),
        ({"connections": [{**_MINIMAL, "inbound": {"profile_id": "p"}}]}, "organization_id"),
    ],
)
def test_configuration_errors_say_what_is_wrong(document: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(document)


def test_unreadable_configuration(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[connections]\n")
    with pytest.raises(ConfigError, match=r"broken\.toml"):
        load_config(broken)

"""HTTP providers in the carriers file, next to SMPP connections."""

from __future__ import annotations

import pytest

from signalpost.carriers.smpp.config import ConfigError, parse_config

_PROVIDER = {"name": "up", "kind": "sentdm", "base_url": "https://api.example", "api_key": "k"}
_SMPP = {"name": "a", "host": "h", "port": 2775, "system_id": "s", "password": "p"}


def test_providers_alone_or_beside_connections_with_routes_naming_both() -> None:
    alone = parse_config({"providers": [_PROVIDER]})
    assert alone.connections == ()
    assert alone.providers[0].channels == frozenset({"sms", "whatsapp"})
    assert alone.routes[0].connections == ("up",)
    both = parse_config(
        {
            "connections": [_SMPP],
            "providers": [{**_PROVIDER, "channels": ["sms"], "profile_id": "p"}],
            "routes": [{"prefix": "+1", "connections": ["up", "a"], "channels": ["sms"]}],
        }
    )
    assert both.providers[0].channels == frozenset({"sms"})
    assert both.routes[0].connections == ("up", "a")
    assert both.routes[0].channels == ("sms",)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"providers": [{**_PROVIDER, "kind": "other"}]}, "kind must be one of"),
        ({"providers": [{"name": "up"}]}, "missing kind, base_url, api_key"),
        ({"providers": [{**_PROVIDER, "base_url": "ftp://x"}]}, "http"),
        ({"providers": [{**_PROVIDER, "rate": "fast"}]}, "rate has the wrong type"),
        ({"providers": [{**_PROVIDER, "kind": "mailersend", "channels": ["whatsapp"]}]}, "among"),
        ({"providers": [{**_PROVIDER, "surprise": 1}]}, "unknown setting 'surprise'"),
        ({"providers": [{**_PROVIDER, "name": "a"}], "connections": [_SMPP]}, "unique"),
        (
            {"providers": [_PROVIDER], "routes": [{"connections": ["up"], "channels": "sms"}]},
            "list",
        ),
        ({"providers": {"name": "up"}}, "providers must be a list"),
    ],
)
def test_provider_errors_say_what_is_wrong(document: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(document)

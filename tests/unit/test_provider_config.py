"""HTTP providers in the carriers file, next to SMPP connections."""

from __future__ import annotations

import pytest

from signalpost.carriers.base import InboundOwner
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


def test_providers_name_the_owners_of_what_they_receive() -> None:
    numbers = {"+18005550100": {"organization_id": "o2", "profile_id": "p2"}}
    provider = {**_PROVIDER, "inbound": {"organization_id": "o1"}, "inbound_numbers": numbers}
    [config] = parse_config({"providers": [provider]}).providers
    assert config.owner_for("+18005550100") == InboundOwner("o2", "p2")
    assert config.owner_for("+18005550199") == InboundOwner("o1")
    [unowned] = parse_config({"providers": [_PROVIDER]}).providers
    assert unowned.owner_for("+18005550100") is None


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
        (
            {"providers": [{**_PROVIDER, "inbound": {"profile_id": "p"}}]},
            "needs an organization_id",
        ),
        ({"providers": [{**_PROVIDER, "inbound_numbers": ["+1"]}]}, "inbound_numbers must be"),
    ],
)
def test_provider_errors_say_what_is_wrong(document: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(document)

"""The envelope around already-encoded data is byte for byte the encoded envelope."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from signalpost.api.sentdm.envelope import Call, envelope, respond_json

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_respond_json_matches_the_envelope(data: Any) -> None:
    call = Call.start()
    response = respond_json(call, orjson.dumps(data))
    assert response.body == envelope(call, data)
    assert response.status == 200
    assert call.request_id.startswith("req_")  # X-Request-Id is the application's to add
    assert all(name != b"x-request-id" for name, _ in response.headers)

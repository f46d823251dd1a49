"""A lean ASGI toolkit: routing, requests, responses and OpenAPI for the dialect packages.

Measured against a bare ASGI handler, general-purpose frameworks spent most of a status
lookup's time in their own machinery; this layer keeps a route lookup to a few dictionary
reads so the hot paths stay close to the bare handler.
"""

from signalpost.http.app import App
from signalpost.http.request import Request
from signalpost.http.response import Response, json_response
from signalpost.http.router import Route, Router
from signalpost.http.streaming import StreamingResponse

__all__ = [
    "App",
    "Request",
    "Response",
    "Route",
    "Router",
    "StreamingResponse",
    "json_response",
]

"""The SFMC error envelopes: ``{"message", "errorcode", "documentation"}`` on the REST
routes and the OAuth ``{"error", "error_description", "error_uri"}`` on ``/v2/token``."""

from __future__ import annotations

from signalpost.definitions.exceptions import InvalidDefinitionOperation
from signalpost.errors import (
    AppError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
)
from signalpost.http import Request, Response, json_response
from signalpost.http.params import InvalidParam

__all__ = [
    "DOCS_URL",
    "OAuthError",
    "SfmcError",
    "missing_field",
    "render_error",
    "render_oauth_error",
]

DOCS_URL = (
    "https://developer.salesforce.com/docs/atlas.en-us.mc-apis.meta/mc-apis/error-handling.htm"
)
OAUTH_DOCS_URL = "https://developer.salesforce.com/docs"


class SfmcError(AppError):
    """MCMS_UTM_Runtime_GenericException: The request could not be processed."""

    status = 400
    code = "sfmc_error"
    errorcode = 10000

    def __init__(self, message: str, *, errorcode: int = 10000, status: int = 400) -> None:
        super().__init__(message)
        self.errorcode = errorcode
        self.status = status


class OAuthError(AppError):
    """The token request was refused."""

    status = 400
    code = "invalid_request"

    def __init__(self, error: str, description: str, *, status: int = 400) -> None:
        super().__init__(description)
        self.code = error
        self.status = status


def missing_field(name: str) -> SfmcError:
    """400 10002 for a required field that is absent or empty."""
    return SfmcError(f"MCMS_UTM_Validation_MissingRequiredField_{name}", errorcode=10002)


def _envelope(exc: Exception) -> tuple[int, dict[str, object]]:
    if isinstance(exc, SfmcError):
        return exc.status, {"message": exc.message, "errorcode": exc.errorcode}
    if isinstance(exc, InvalidParam):
        message = f"MCMS_UTM_Validation_InvalidValue_{exc.name}: {exc.text}"
        return 400, {"message": message, "errorcode": 10005}
    if isinstance(exc, RateLimited):
        return 429, {
            "message": "Rate limit exceeded",
            "errorcode": 50100,
            "retryAfter": exc.retry_after,
            "documentation": DOCS_URL,
        }
    if isinstance(exc, Unauthorized):
        return 401, {"documentation": DOCS_URL, "errorcode": 0, "message": "Not Authorized"}
    if isinstance(exc, NotFound) and exc.message == "Route not found":
        return 596, {"message": "Service Not Found", "errorcode": 30003}
    if isinstance(exc, NotFound):
        return 404, {
            "message": f"MCMS_UTM_Runtime_ObjectNotFound: {exc.message}",
            "errorcode": 30003,
        }
    if isinstance(exc, Conflict):
        return 409, {
            "message": f"MCMS_UTM_Runtime_ObjectAlreadyExists: {exc.message}",
            "errorcode": 30004,
        }
    if isinstance(exc, Forbidden):
        return 403, {"message": f"MCMS_Authorization_General: {exc.message}", "errorcode": 20000}
    if isinstance(exc, InvalidDefinitionOperation):
        return 400, {
            "message": f"MCMS_UTM_Runtime_InvalidOperation: {exc.message}",
            "errorcode": 30001,
        }
    if isinstance(exc, ValidationFailed | BadRequest):
        return 400, {"message": _validation_text(exc), "errorcode": 10000}
    if isinstance(exc, AppError) and exc.status < 500:
        return exc.status, {"message": exc.message, "errorcode": 30000}
    return 500, {"message": "MCMS_UTM_Runtime_GeneralFailure: internal error", "errorcode": 30000}


def _validation_text(exc: AppError) -> str:
    if not exc.details:
        return f"MCMS_UTM_Validation_InvalidValue: {exc.message}"
    parts = [f"{field}: {'; '.join(msgs)}" for field, msgs in exc.details.items()]
    return f"MCMS_UTM_Validation_InvalidValue: {exc.message} ({', '.join(parts)})"


def render_error(request: Request, exc: Exception) -> Response:
    """Any error of the REST routes in the SFMC envelope."""
    del request
    status, body = _envelope(exc)
    body.setdefault("documentation", "")
    return json_response(body, status)


def render_oauth_error(request: Request, exc: Exception) -> Response:
    """Any error of the token route in the OAuth 2.0 shape."""
    del request
    if isinstance(exc, OAuthError):
        error, description, status = exc.code, exc.message, exc.status
    elif isinstance(exc, Unauthorized):
        error, status = "invalid_client", 401
        description = exc.message
    elif isinstance(exc, AppError) and exc.status < 500:
        # an unknown path or method keeps its status; any other refusal is a 400
        status = exc.status if exc.status in (404, 405) else 400
        error, description = "invalid_request", exc.message
    else:
        error, description, status = "server_error", "An unexpected error occurred.", 500
    body = {"error": error, "error_description": description, "error_uri": OAUTH_DOCS_URL}
    return json_response(body, status)

"""Event Notification Service routes: ``/platform/v1/ens-...`` (callbacks, verification,
subscriptions).  Create and update take and answer JSON arrays, as Marketing Cloud does."""

from __future__ import annotations

from typing import Any

from signalpost.accounts.schemas import Scope
from signalpost.api.kit import Param, Reply, Routes
from signalpost.api.sfmc import ens, schemas
from signalpost.api.sfmc.base import SfmcState
from signalpost.api.sfmc.body import json_body, required_str
from signalpost.api.sfmc.errors import SfmcError
from signalpost.http import Request, Response, json_response
from signalpost.storage import Connection
from signalpost.webhooks import service as webhooks

__all__ = ["ens_routes"]

MIN_BATCH, MAX_BATCH = 100, 1000
MAX_SUBSCRIPTIONS = 200


def _batch_size(item: dict[str, Any]) -> int:
    value = item.get("maxBatchSize", MAX_BATCH)
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_BATCH <= value <= MAX_BATCH:
        raise SfmcError(
            f"MCMS_UWH_Validation_InvalidValue_maxBatchSize: {MIN_BATCH} to {MAX_BATCH}",
            errorcode=10005,
        )
    return value


def _status(value: Any) -> str | None:
    if value is None:
        return None
    if value not in ("active", "paused"):
        raise SfmcError(
            "MCMS_UWH_Validation_InvalidValue_status: active or paused", errorcode=10005
        )
    return str(value)


async def _register(
    state: SfmcState, scope: Scope, specs: list[tuple[str, str, int]]
) -> list[ens.Callback]:
    """Create the callbacks, then probe each URL; any that does not answer 200 undoes all."""
    ctx = state.ctx
    async with ctx.db.transaction() as conn:
        created = [
            await ens.create_callback(conn, ctx, scope, name=name, url=url, max_batch_size=size)
            for name, url, size in specs
        ]
    for callback in created:
        problem = await ens.probe(
            ctx.webhooks.egress, callback.endpoint.url, callback.id, callback.verification_key
        )
        if problem is not None:
            async with ctx.db.transaction() as conn:
                for gone in created:
                    await webhooks.delete_endpoint(conn, ctx.webhooks, scope, gone.id)
            raise SfmcError(
                "MCMS_UWH_Runtime_GeneralFailure_probeCallbackLiveness: CallbackId is"
                f" {callback.id}. Could not verify callback url {callback.endpoint.url}."
                f" {problem}",
                errorcode=30000,
            )
    return created


ens_routes = Routes[SfmcState]("/platform/v1", owns=("/platform/",))
CALLBACK_ID = {"callbackId": Param("the callback's id", {"type": "string", "format": "uuid"})}
SUBSCRIPTION_ID = {
    "subscriptionId": Param("the subscription's id", {"type": "string", "format": "uuid"})
}
UNKNOWN_CALLBACK = "a callbackId is not one of the account's callbacks"
UNKNOWN_SUBSCRIPTION = "a subscriptionId is not one of the account's subscriptions"


@ens_routes.post(
    "/ens-callbacks",
    raw_body=schemas.CallbacksIn,
    responses={
        201: schemas.CreatedCallbacksOut,
        400: "invalid, or a URL did not answer the verification payload with 200",
        409: "a URL is already registered",
    },
)
async def create_callbacks(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: None
) -> Response:
    """Register callbacks; each URL gets the verification payload at once."""
    specs = []
    for item in await json_body(request, array=True):
        url = required_str(item, "url", max_length=2048)
        ens.check_url(state.ctx, url)
        await state.ctx.webhooks.check_url(url)
        specs.append((required_str(item, "callbackName", max_length=200), url, _batch_size(item)))
    created = await _register(state, scope, specs)
    return json_response(
        [
            {
                "callbackName": c.name,
                "callbackId": c.id,
                "url": c.endpoint.url,
                "signatureKey": c.endpoint.secret,
                "maxBatchSize": c.max_batch_size,
            }
            for c in created
        ],
        201,
    )


@ens_routes.post(
    "/ens-verify",
    tx="write",
    raw_body=schemas.VerifyIn,
    responses={
        200: Reply("verified", schemas.CallbackOut),
        404: "unknown callbackId, or a wrong verificationKey",
    },
)
async def verify(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Confirm a callback with the verification key it was sent."""
    data = await json_body(request)
    callback_id = required_str(data, "callbackId", max_length=64)
    key = required_str(data, "verificationKey", max_length=256)
    callback = await ens.load_callback(conn, scope, callback_id)
    if not ens.secrets_match(callback.verification_key, key):
        raise SfmcError(
            "MCMS_UWH_Runtime_ObjectNotFound: callbackId or verificationKey is wrong",
            errorcode=30003,
            status=404,
        )
    callback.verified = True
    callback = await ens.save(conn, state.ctx, scope, callback, enable=True)
    return json_response(ens.present_callback(callback))


@ens_routes.get("/ens-callbacks", tx="read", responses={200: schemas.CallbacksOut})
async def list_callbacks(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Every callback of the account."""
    return json_response([ens.present_callback(c) for c in await ens.load_callbacks(conn, scope)])


@ens_routes.get(
    "/ens-callbacks/{callbackId}",
    tx="read",
    path_params=CALLBACK_ID,
    responses={200: schemas.CallbackOut},
)
async def get_callback(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One callback."""
    callback = await ens.load_callback(conn, scope, request.path_params["callbackId"])
    return json_response(ens.present_callback(callback))


@ens_routes.put(
    "/ens-callbacks",
    tx="write",
    raw_body=schemas.CallbacksUpdateIn,
    responses={200: schemas.CallbacksUpdatedOut, 404: UNKNOWN_CALLBACK},
)
async def update_callbacks(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Rename callbacks or change their maxBatchSize."""
    items = await json_body(request, array=True)
    updated: list[dict[str, Any]] = []
    for item in items:
        callback = await ens.load_callback(conn, scope, required_str(item, "callbackId"))
        if "callbackName" in item:
            callback.name = required_str(item, "callbackName", max_length=200)
        if "maxBatchSize" in item:
            callback.max_batch_size = _batch_size(item)
        callback = await ens.save(conn, state.ctx, scope, callback)
        presented = ens.present_callback(callback)
        updated.append(
            {k: presented[k] for k in ("callbackId", "callbackName", "url", "maxBatchSize")}
        )
    return json_response(updated)


@ens_routes.delete(
    "/ens-callbacks/{callbackId}",
    tx="write",
    path_params=CALLBACK_ID,
    responses={200: schemas.EmptyOut, 409: "the callback has subscriptions"},
)
async def delete_callback(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Remove a callback; refused while it has subscriptions."""
    callback = await ens.load_callback(conn, scope, request.path_params["callbackId"])
    if callback.subscriptions:
        raise SfmcError(
            "MCMS_UWH_Runtime_InvalidOperation: delete the callback's subscriptions first",
            errorcode=30002,
            status=409,
        )
    await webhooks.delete_endpoint(conn, state.ctx.webhooks, scope, callback.id)
    return json_response({})


@ens_routes.put(
    "/ens-regenerate",
    tx="write",
    raw_body=schemas.RegenerateIn,
    responses={200: schemas.RegeneratedOut, 404: UNKNOWN_CALLBACK},
)
async def regenerate(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """A new signatureKey for each callback; the old one stops working."""
    items = await json_body(request, array=True)
    answers: list[dict[str, Any]] = []
    for item in items:
        callback = await ens.load_callback(conn, scope, required_str(item, "callbackId"))
        endpoint = await webhooks.rotate_secret(
            conn, state.ctx.webhooks, scope, callback.id, grace=False
        )
        answers.append(
            {
                "callbackName": callback.name,
                "callbackId": callback.id,
                "url": endpoint.url,
                "signatureKey": endpoint.secret,
            }
        )
    return json_response(answers)


def _new_subscription(
    item: dict[str, Any], callback: ens.Callback, used: set[str]
) -> ens.Subscription:
    """A subscription of a verified callback, its name not yet used in the account."""
    if not callback.verified:
        raise SfmcError(
            "MCMS_UWH_Validation_CallbackNotVerified: verify the callback first", errorcode=30001
        )
    name = required_str(item, "subscriptionName", max_length=200)
    if name in used:
        raise SfmcError(
            f"MCMS_UWH_Validation_SubscriptionExists: {name}", errorcode=30004, status=409
        )
    if len(callback.subscriptions) >= MAX_SUBSCRIPTIONS:
        raise SfmcError("MCMS_UWH_Validation_TooManySubscriptions", errorcode=30001)
    return ens.Subscription(
        id=ens.new_subscription_id(),
        name=name,
        event_types=ens.check_event_types(item.get("eventCategoryTypes")),
        filters=ens.check_filters(item.get("filters")),
    )


@ens_routes.post(
    "/ens-subscriptions",
    tx="write",
    raw_body=schemas.SubscriptionsIn,
    responses={
        201: schemas.SubscriptionsOut,
        400: "invalid, an unverified callback, or too many subscriptions",
        404: UNKNOWN_CALLBACK,
        409: "a subscription of this name exists",
    },
)
async def create_subscriptions(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Subscribe verified callbacks to event types (with optional filters)."""
    items = await json_body(request, array=True)
    answers: list[dict[str, Any]] = []
    used = ens.names_in_use(await ens.load_callbacks(conn, scope))
    for item in items:
        callback = await ens.load_callback(conn, scope, required_str(item, "callbackId"))
        sub = _new_subscription(item, callback, used)
        used.add(sub.name)
        callback.subscriptions.append(sub)
        callback = await ens.save(conn, state.ctx, scope, callback)
        answers.append(ens.present_subscription(callback, sub))
    return json_response(answers, 201)


def _change_subscription(item: dict[str, Any], sub: ens.Subscription) -> None:
    if "eventCategoryTypes" in item:
        sub.event_types = ens.check_event_types(item["eventCategoryTypes"])
    if "filters" in item:
        sub.filters = ens.check_filters(item["filters"])
    if "subscriptionName" in item:
        sub.name = required_str(item, "subscriptionName", max_length=200)
    sub.status = _status(item.get("status")) or sub.status
    if isinstance(item.get("statusReason"), str):
        sub.status_reason = item["statusReason"]


@ens_routes.put(
    "/ens-subscriptions",
    tx="write",
    raw_body=schemas.SubscriptionsUpdateIn,
    responses={200: schemas.SubscriptionsOut, 404: UNKNOWN_SUBSCRIPTION},
)
async def update_subscriptions(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Change subscriptions: types, filters, name, or pause and resume them."""
    items = await json_body(request, array=True)
    answers: list[dict[str, Any]] = []
    for item in items:
        sub_id = required_str(item, "subscriptionId", max_length=64)
        callback, sub = await ens.find_subscription(conn, scope, sub_id)
        _change_subscription(item, sub)
        callback = await ens.save(conn, state.ctx, scope, callback)
        answers.append(ens.present_subscription(callback, sub))
    return json_response(answers)


@ens_routes.get(
    "/ens-subscriptions/{subscriptionId}",
    tx="read",
    path_params=SUBSCRIPTION_ID,
    responses={200: schemas.SubscriptionOut},
)
async def get_subscription(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """One subscription."""
    sub_id = request.path_params["subscriptionId"]
    callback, sub = await ens.find_subscription(conn, scope, sub_id)
    return json_response(ens.present_subscription(callback, sub))


@ens_routes.get(
    "/ens-subscriptions-by-cb/{callbackId}",
    tx="read",
    path_params=CALLBACK_ID,
    responses={200: schemas.SubscriptionsOut},
)
async def subscriptions_of(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Every subscription of one callback."""
    callback = await ens.load_callback(conn, scope, request.path_params["callbackId"])
    return json_response([ens.present_subscription(callback, s) for s in callback.subscriptions])


@ens_routes.delete(
    "/ens-subscriptions/{subscriptionId}",
    tx="write",
    path_params=SUBSCRIPTION_ID,
    responses={200: schemas.EmptyOut},
)
async def delete_subscription(
    state: SfmcState, request: Request, scope: Scope, body: None, conn: Connection
) -> Response:
    """Remove a subscription."""
    callback, sub = await ens.find_subscription(conn, scope, request.path_params["subscriptionId"])
    callback.subscriptions = [s for s in callback.subscriptions if s.id != sub.id]
    await ens.save(conn, state.ctx, scope, callback)
    return json_response({})

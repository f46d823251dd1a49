"""Event Notification Service routes: ``/platform/v1/ens-...`` (callbacks, verification,
subscriptions).  Create and update take and answer JSON arrays, as Marketing Cloud does."""

from __future__ import annotations

from typing import Any

from signalpost.api.sfmc import ens
from signalpost.api.sfmc.base import SfmcState
from signalpost.api.sfmc.body import json_body, required_str
from signalpost.api.sfmc.errors import SfmcError, render_error
from signalpost.http import Request, Response, Router, json_response
from signalpost.webhooks import service as webhooks

__all__ = ["build_ens_router"]

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


def build_ens_router(state: SfmcState) -> Router:
    router = Router("/platform/v1", tag="sfmc", render_error=render_error, owns=("/platform/",))
    ctx = state.ctx
    db = ctx.db

    @router.post("/ens-callbacks", responses={201: "[callback with signatureKey]"})
    async def create_callbacks(request: Request) -> Response:
        """Register callbacks; each URL gets the verification payload at once."""
        scope = await state.scope(request)
        items = await json_body(request, array=True)
        specs = []
        for item in items:
            url = required_str(item, "url", max_length=2048)
            ens.check_url(ctx, url)
            await ctx.webhooks.check_url(url)
            specs.append(
                (required_str(item, "callbackName", max_length=200), url, _batch_size(item))
            )
        created: list[ens.Callback] = []
        async with db.transaction() as conn:
            for name, url, size in specs:
                created.append(
                    await ens.create_callback(
                        conn, ctx, scope, name=name, url=url, max_batch_size=size
                    )
                )
        for callback in created:
            problem = await ens.probe(
                ctx.webhooks.egress, callback.endpoint.url, callback.id, callback.verification_key
            )
            if problem is not None:
                async with db.transaction() as conn:
                    for gone in created:
                        await webhooks.delete_endpoint(conn, ctx.webhooks, scope, gone.id)
                raise SfmcError(
                    "MCMS_UWH_Runtime_GeneralFailure_probeCallbackLiveness: CallbackId is"
                    f" {callback.id}. Could not verify callback url {callback.endpoint.url}."
                    f" {problem}",
                    errorcode=30000,
                )
        body = [
            {
                "callbackName": c.name,
                "callbackId": c.id,
                "url": c.endpoint.url,
                "signatureKey": c.endpoint.secret,
                "maxBatchSize": c.max_batch_size,
            }
            for c in created
        ]
        return json_response(body, 201)

    @router.post("/ens-verify", responses={200: "verified"})
    async def verify(request: Request) -> Response:
        """Confirm a callback with the verification key it was sent."""
        scope = await state.scope(request)
        data = await json_body(request)
        callback_id = required_str(data, "callbackId", max_length=64)
        key = required_str(data, "verificationKey", max_length=256)
        async with db.transaction() as conn:
            callback = await ens.load_callback(conn, scope, callback_id)
            if not ens.secrets_match(callback.verification_key, key):
                raise SfmcError(
                    "MCMS_UWH_Runtime_ObjectNotFound: callbackId or verificationKey is wrong",
                    errorcode=30003,
                    status=404,
                )
            callback.verified = True
            callback = await ens.save(conn, ctx, scope, callback, enable=True)
        return json_response(ens.present_callback(callback))

    @router.get("/ens-callbacks")
    async def list_callbacks(request: Request) -> Response:
        """Every callback of the account."""
        scope = await state.scope(request)
        async with db.reader() as conn:
            callbacks = await ens.load_callbacks(conn, scope)
        return json_response([ens.present_callback(c) for c in callbacks])

    @router.get("/ens-callbacks/{callbackId}")
    async def get_callback(request: Request) -> Response:
        """One callback."""
        scope = await state.scope(request)
        async with db.reader() as conn:
            callback = await ens.load_callback(conn, scope, request.path_params["callbackId"])
        return json_response(ens.present_callback(callback))

    @router.put("/ens-callbacks")
    async def update_callbacks(request: Request) -> Response:
        """Rename callbacks or change their maxBatchSize."""
        scope = await state.scope(request)
        items = await json_body(request, array=True)
        updated: list[dict[str, Any]] = []
        async with db.transaction() as conn:
            for item in items:
                callback = await ens.load_callback(conn, scope, required_str(item, "callbackId"))
                if "callbackName" in item:
                    callback.name = required_str(item, "callbackName", max_length=200)
                if "maxBatchSize" in item:
                    callback.max_batch_size = _batch_size(item)
                callback = await ens.save(conn, ctx, scope, callback)
                presented = ens.present_callback(callback)
                updated.append(
                    {k: presented[k] for k in ("callbackId", "callbackName", "url", "maxBatchSize")}
                )
        return json_response(updated)

    @router.delete("/ens-callbacks/{callbackId}")
    async def delete_callback(request: Request) -> Response:
        """Remove a callback; refused while it has subscriptions."""
        scope = await state.scope(request)
        async with db.transaction() as conn:
            callback = await ens.load_callback(conn, scope, request.path_params["callbackId"])
            if callback.subscriptions:
                raise SfmcError(
                    "MCMS_UWH_Runtime_InvalidOperation: delete the callback's subscriptions first",
                    errorcode=30002,
                    status=409,
                )
            await webhooks.delete_endpoint(conn, ctx.webhooks, scope, callback.id)
        return json_response({})

    @router.put("/ens-regenerate")
    async def regenerate(request: Request) -> Response:
        """A new signatureKey for each callback; the old one stops working."""
        scope = await state.scope(request)
        items = await json_body(request, array=True)
        answers: list[dict[str, Any]] = []
        async with db.transaction() as conn:
            for item in items:
                callback = await ens.load_callback(conn, scope, required_str(item, "callbackId"))
                endpoint = await webhooks.rotate_secret(
                    conn, ctx.webhooks, scope, callback.id, grace=False
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

    @router.post("/ens-subscriptions", responses={201: "[subscription]"})
    async def create_subscriptions(request: Request) -> Response:
        """Subscribe verified callbacks to event types (with optional filters)."""
        scope = await state.scope(request)
        items = await json_body(request, array=True)
        answers: list[dict[str, Any]] = []
        async with db.transaction() as conn:
            used = ens.names_in_use(await ens.load_callbacks(conn, scope))
            for item in items:
                callback = await ens.load_callback(conn, scope, required_str(item, "callbackId"))
                if not callback.verified:
                    raise SfmcError(
                        "MCMS_UWH_Validation_CallbackNotVerified: verify the callback first",
                        errorcode=30001,
                    )
                name = required_str(item, "subscriptionName", max_length=200)
                if name in used:
                    raise SfmcError(
                        f"MCMS_UWH_Validation_SubscriptionExists: {name}",
                        errorcode=30004,
                        status=409,
                    )
                if len(callback.subscriptions) >= MAX_SUBSCRIPTIONS:
                    raise SfmcError("MCMS_UWH_Validation_TooManySubscriptions", errorcode=30001)
                sub = ens.Subscription(
                    id=ens.new_subscription_id(),
                    name=name,
                    event_types=ens.check_event_types(item.get("eventCategoryTypes")),
                    filters=ens.check_filters(item.get("filters")),
                )
                used.add(name)
                callback.subscriptions.append(sub)
                callback = await ens.save(conn, ctx, scope, callback)
                answers.append(ens.present_subscription(callback, sub))
        return json_response(answers, 201)

    @router.put("/ens-subscriptions")
    async def update_subscriptions(request: Request) -> Response:
        """Change subscriptions: types, filters, name, or pause and resume them."""
        scope = await state.scope(request)
        items = await json_body(request, array=True)
        answers: list[dict[str, Any]] = []
        async with db.transaction() as conn:
            for item in items:
                sub_id = required_str(item, "subscriptionId", max_length=64)
                callback, sub = await ens.find_subscription(conn, scope, sub_id)
                if "eventCategoryTypes" in item:
                    sub.event_types = ens.check_event_types(item["eventCategoryTypes"])
                if "filters" in item:
                    sub.filters = ens.check_filters(item["filters"])
                if "subscriptionName" in item:
                    sub.name = required_str(item, "subscriptionName", max_length=200)
                sub.status = _status(item.get("status")) or sub.status
                if isinstance(item.get("statusReason"), str):
                    sub.status_reason = item["statusReason"]
                callback = await ens.save(conn, ctx, scope, callback)
                answers.append(ens.present_subscription(callback, sub))
        return json_response(answers)

    @router.get("/ens-subscriptions/{subscriptionId}")
    async def get_subscription(request: Request) -> Response:
        """One subscription."""
        scope = await state.scope(request)
        async with db.reader() as conn:
            callback, sub = await ens.find_subscription(
                conn, scope, request.path_params["subscriptionId"]
            )
        return json_response(ens.present_subscription(callback, sub))

    @router.get("/ens-subscriptions-by-cb/{callbackId}")
    async def subscriptions_of(request: Request) -> Response:
        """Every subscription of one callback."""
        scope = await state.scope(request)
        async with db.reader() as conn:
            callback = await ens.load_callback(conn, scope, request.path_params["callbackId"])
        return json_response(
            [ens.present_subscription(callback, s) for s in callback.subscriptions]
        )

    @router.delete("/ens-subscriptions/{subscriptionId}")
    async def delete_subscription(request: Request) -> Response:
        """Remove a subscription."""
        scope = await state.scope(request)
        async with db.transaction() as conn:
            callback, sub = await ens.find_subscription(
                conn, scope, request.path_params["subscriptionId"]
            )
            callback.subscriptions = [s for s in callback.subscriptions if s.id != sub.id]
            await ens.save(conn, ctx, scope, callback)
        return json_response({})

    return router

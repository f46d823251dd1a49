"""The shapes of Marketing Cloud's bodies, for the OpenAPI document.

Requests are read field by field in SFMC's own validation words (:mod:`.body`); these
models document them.  Answers are built by the routes' presenters; these models are what
they promise, with Marketing Cloud's field names.  A field that is left out of an answer
when it has nothing to say is optional here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, RootModel

__all__ = [
    "AcceptedOut",
    "CallbackOut",
    "CallbacksIn",
    "CallbacksOut",
    "CallbacksUpdateIn",
    "CallbacksUpdatedOut",
    "CreatedCallbacksOut",
    "DefinitionIn",
    "DefinitionListOut",
    "DefinitionOut",
    "DefinitionPatchIn",
    "DeletedDefinitionOut",
    "EmptyOut",
    "NotSentOut",
    "OAuthErrorOut",
    "QueueClearedOut",
    "QueueOut",
    "RegenerateIn",
    "RegeneratedOut",
    "SendManyIn",
    "SendOneIn",
    "SfmcErrorOut",
    "StatusOut",
    "SubscriptionOut",
    "SubscriptionsIn",
    "SubscriptionsOut",
    "SubscriptionsUpdateIn",
    "TokenIn",
    "TokenOut",
    "VerifyIn",
]

DefinitionStatus = Literal["Active", "Inactive"]
EventType = Literal[
    "TransactionalSendEvents.SmsSent",
    "TransactionalSendEvents.SmsNotSent",
    "TransactionalSendEvents.SmsDelivered",
    "TransactionalSendEvents.SmsBounced",
    "TransactionalSendEvents.SmsTransient",
]
RequestId = Field(description="a new UUID per answer")
CstTime = Field(description="Central Standard Time, no offset: 2018-08-03T13:41:18.550")


# Errors


class SfmcErrorOut(BaseModel):
    """Marketing Cloud's error envelope (429 adds ``retryAfter``)."""

    message: str
    errorcode: int
    documentation: str
    retryAfter: int | None = Field(None, description="seconds until the limit's window ends")


class OAuthErrorOut(BaseModel):
    """OAuth 2.0's error body."""

    error: Literal["invalid_request", "unsupported_grant_type", "invalid_client", "server_error"]
    error_description: str
    error_uri: str


# The token


class TokenIn(BaseModel):
    """Client credentials (as JSON or as a form)."""

    grant_type: Literal["client_credentials"]
    client_id: str
    client_secret: str
    account_id: str | None = Field(None, description="a profile (business unit) to act for")
    scope: str | None = Field(None, description="space-separated scopes")


class TokenOut(BaseModel):
    """An access token and where to use it."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="seconds (two minutes before it stops working)")
    scope: str
    soap_instance_url: str
    rest_instance_url: str


# Sends


class Content(BaseModel):
    message: str = Field(max_length=4096, description="%%attributes%% are substituted")


class OptionalContent(BaseModel):
    message: str | None = Field(None, max_length=4096)


class Recipient(BaseModel):
    to: str = Field(description="digits with the country code, or +E.164")
    contactKey: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)


class KeyedRecipient(Recipient):
    messageKey: str | None = Field(
        None, min_length=1, max_length=100, description="generated when left out"
    )


class _Send(BaseModel):
    definitionKey: str = Field(max_length=200)
    attributes: dict[str, Any] = Field(default_factory=dict)
    content: OptionalContent | None = Field(None, description="overrides the definition's")
    subscriptions: dict[str, Any] | None = None


class SendOneIn(_Send):
    """A send to one recipient (the messageKey is the path's)."""

    recipient: Recipient


class SendManyIn(_Send):
    """A send to up to 500 recipients."""

    recipients: list[KeyedRecipient] = Field(min_length=1, max_length=500)


class SendResponse(BaseModel):
    messageKey: str
    errorcode: int | None = None
    message: str | None = None


class AcceptedOut(BaseModel):
    """Accepted; with errorcode 109001, the recipients that failed say why."""

    requestId: str = RequestId
    errorcode: int = Field(description="0, or 109001 when recipients failed")
    message: str | None = None
    responses: list[SendResponse]


class StatusInfo(BaseModel):
    messageKey: str
    contactKey: str | None = None
    to: str
    statusCode: int | None = None
    statusMessage: str | None = None


class StatusOut(BaseModel):
    """A message's send status (queued: no compositeId and no info)."""

    requestId: str = RequestId
    eventCategoryType: Literal[
        "TransactionalSendEvents.SMSQueued",
        "TransactionalSendEvents.SMSSent",
        "TransactionalSendEvents.SMSNotSent",
    ]
    timestamp: str = CstTime
    compositeId: str | None = None
    info: StatusInfo | None = None


class NotSentInfo(BaseModel):
    messageKey: str
    contactKey: str | None = None


class NotSentEvent(BaseModel):
    statusCode: int
    statusMessage: str
    eventCategoryType: Literal["TransactionalSendEvents.SMSNotSent"]
    timestamp: str = CstTime
    definitionKey: str | None
    eventID: int
    info: NotSentInfo


class NotSentOut(BaseModel):
    """Messages not sent, oldest first; lastEventID is the next page's lastEventId."""

    lastEventID: int
    messages: list[NotSentEvent]
    count: int


# Send definitions


class ShortCodeIn(BaseModel):
    shortCode: str = Field(max_length=32, description="the sender")
    keyword: str = Field(max_length=64)
    countryCode: str | None = Field(None, max_length=64)
    autoAddSubscriber: bool | None = None
    updateSubscriber: bool | None = None


class ShortCodePatch(BaseModel):
    shortCode: str | None = Field(None, max_length=32)
    keyword: str | None = Field(None, max_length=64)
    countryCode: str | None = Field(None, max_length=64)
    autoAddSubscriber: bool | None = None
    updateSubscriber: bool | None = None


class DefinitionIn(BaseModel):
    """A new send definition."""

    definitionKey: str = Field(max_length=200)
    name: str = Field(max_length=200)
    description: str | None = Field(None, max_length=2000)
    status: DefinitionStatus | None = Field(None, description="Active unless said")
    content: Content
    subscriptions: ShortCodeIn


class DefinitionPatchIn(BaseModel):
    """What to change in a send definition (Inactive holds its messages)."""

    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    status: DefinitionStatus | None = None
    content: OptionalContent | None = None
    subscriptions: ShortCodePatch | None = None


class ShortCodeOut(BaseModel):
    shortCode: str
    countryCode: str | None = None
    keyword: str | None
    autoAddSubscriber: bool
    updateSubscriber: bool


class DefinitionSummary(BaseModel):
    definitionKey: str
    status: Literal["Active", "Inactive", "Deleted"]
    name: str
    createdDate: str = CstTime
    modifiedDate: str = CstTime


class DefinitionOut(DefinitionSummary):
    """A send definition."""

    requestId: str = RequestId
    definitionId: str
    description: str | None
    content: Content
    subscriptions: ShortCodeOut


class DefinitionListOut(BaseModel):
    """A page of send definitions (their summaries)."""

    requestId: str = RequestId
    definitions: list[DefinitionSummary]
    count: int = Field(description="definitions matching, on every page")
    page: int
    pageSize: int


class DeletedDefinitionOut(BaseModel):
    """The definition is archived; its key can be used again."""

    message: Literal["Success"]
    requestId: str = RequestId
    deletedDefinitionKey: str


class QueueOut(BaseModel):
    """How many messages of the definition wait, and how long the oldest has."""

    requestId: str = RequestId
    count: int
    ageSeconds: int


class QueueClearedOut(BaseModel):
    """The queued messages are being deleted."""

    requestId: str = RequestId
    message: Literal["Queued"]


# Event Notification Service


class EmptyOut(BaseModel):
    """Done: an empty object."""


class NewCallback(BaseModel):
    callbackName: str = Field(max_length=200)
    url: str = Field(max_length=2048, description="https, no query string")
    maxBatchSize: int = Field(1000, ge=100, le=1000)


class CallbacksIn(RootModel[list[NewCallback]]):
    """Callbacks to register (each URL gets the verification payload)."""


class CreatedCallback(BaseModel):
    callbackName: str
    callbackId: str
    url: str
    signatureKey: str = Field(description="the key of the events' signatures")
    maxBatchSize: int


class CreatedCallbacksOut(RootModel[list[CreatedCallback]]):
    """The callbacks registered, unverified until confirmed with /ens-verify."""


class VerifyIn(BaseModel):
    """A callback's id and the verification key it was sent."""

    callbackId: str = Field(max_length=64)
    verificationKey: str = Field(max_length=256)


class CallbackOut(BaseModel):
    """A callback."""

    callbackId: str
    callbackName: str
    url: str
    maxBatchSize: int
    status: Literal["unverified", "verified", "suspended"]
    statusReason: str


class CallbacksOut(RootModel[list[CallbackOut]]):
    """Callbacks."""


class CallbackChange(BaseModel):
    callbackId: str
    callbackName: str | None = Field(None, max_length=200)
    maxBatchSize: int | None = Field(None, ge=100, le=1000)


class CallbacksUpdateIn(RootModel[list[CallbackChange]]):
    """Callbacks to rename or resize."""


class UpdatedCallback(BaseModel):
    callbackId: str
    callbackName: str
    url: str
    maxBatchSize: int


class CallbacksUpdatedOut(RootModel[list[UpdatedCallback]]):
    """The callbacks as changed."""


class CallbackRef(BaseModel):
    callbackId: str


class RegenerateIn(RootModel[list[CallbackRef]]):
    """Callbacks to give a new signatureKey."""


class RegeneratedCallback(BaseModel):
    callbackName: str
    callbackId: str
    url: str
    signatureKey: str


class RegeneratedOut(RootModel[list[RegeneratedCallback]]):
    """The new signature keys (the old ones stop working)."""


class NewSubscription(BaseModel):
    callbackId: str
    subscriptionName: str = Field(max_length=200)
    eventCategoryTypes: list[EventType] = Field(min_length=1)
    filters: list[str] = Field(
        default_factory=list, description="definitionKey=… and statusCode=…, each once"
    )


class SubscriptionsIn(RootModel[list[NewSubscription]]):
    """Subscriptions of verified callbacks to event types."""


class SubscriptionChange(BaseModel):
    subscriptionId: str = Field(max_length=64)
    subscriptionName: str | None = Field(None, max_length=200)
    eventCategoryTypes: list[EventType] | None = Field(None, min_length=1)
    filters: list[str] | None = None
    status: Literal["active", "paused"] | None = None
    statusReason: str | None = None


class SubscriptionsUpdateIn(RootModel[list[SubscriptionChange]]):
    """Subscriptions to change, pause or resume."""


class SubscriptionOut(BaseModel):
    """A subscription, with its callback."""

    subscriptionId: str
    subscriptionName: str
    callbackId: str
    callbackName: str
    url: str
    maxBatchSize: int
    eventCategoryTypes: list[EventType]
    filters: list[str]
    status: Literal["active", "paused"]
    statusReason: str


class SubscriptionsOut(RootModel[list[SubscriptionOut]]):
    """Subscriptions, with their callback."""

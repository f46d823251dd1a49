"""Settings, read once from the environment (``SIGNALPOST_`` prefix) and passed around."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Every knob of a Signalpost process. Nothing reads the environment but this class."""

    model_config = SettingsConfigDict(
        env_prefix="SIGNALPOST_", extra="ignore", env_file=".env", env_file_encoding="utf-8"
    )

    database_url: str = Field(
        default="sqlite:///./signalpost.db",
        description="sqlite:///path or postgresql://user@host:port/db",
    )
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema to use instead of the default search_path"
    )
    database_pool_size: int = Field(default=10, ge=1, description="PostgreSQL connections")
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = Field(
        default=None, description="Base URL clients reach this server at (default from host/port)"
    )

    workers: int = Field(default=2, ge=0, description="dispatcher tasks per process")
    dispatch_batch_size: int = Field(default=500, ge=1, le=5000)
    dispatch_poll_interval: float = Field(default=0.05, gt=0, description="seconds when idle")
    dispatch_lease_seconds: float = Field(
        default=30.0, gt=0, description="how long a claimed message stays invisible to others"
    )
    max_submit_attempts: int = Field(default=8, ge=1)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=600.0, gt=0)
    default_validity_seconds: int = Field(default=48 * 3600, ge=60)

    carrier: str = Field(default="simulator", description="default carrier: simulator or smpp")
    simulator_latency_ms: int = Field(
        default=300, ge=0, description="simulated time from submit to delivery receipt"
    )
    smpp_config: Path | None = Field(
        default=None, description="SMPP connections and routes (JSON or TOML) for carrier=smpp"
    )

    rate_card_path: Path | None = Field(
        default=None, description="JSON rate card merged over the shipped defaults"
    )
    simulator_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="with another carrier configured, channels still sent to the simulator "
        "(comma-separated, e.g. whatsapp,rcs)",
    )
    sender_rules_path: Path | None = Field(
        default=None, description="JSON sender ID rules merged over the shipped ones"
    )
    check_senders: bool = Field(
        default=True, description="refuse senders that break the destination country's rules"
    )
    api_key_cache_seconds: float = Field(default=30.0, ge=0)
    console_secret_key: str | None = Field(
        default=None,
        description="signs console session cookies; random per process when unset "
        "(set one shared value when several processes serve the console)",
    )
    idempotency_ttl_seconds: int = Field(default=24 * 3600, ge=60)
    max_recipients_per_request: int = Field(default=10_000, ge=1)

    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db where every API process counts the dialects' rate "
        "limits (default: in PostgreSQL, or in each process's memory on SQLite)",
    )
    sentdm_rate_limit: str = Field(
        default="200/minute", description="sent.dm dialect: requests per API key"
    )
    sentdm_sensitive_rate_limit: str = Field(
        default="10/minute", description="sent.dm dialect: secret rotation per API key"
    )
    sentdm_webhook_test_rate_limit: str = Field(
        default="60/minute", description="sent.dm dialect: webhook tests per API key"
    )

    sfmc_status_rate_limit: str = Field(
        default="50/second",
        description="SFMC dialect: send-status lookups per tenant",
    )
    lamah_sms_rate_limit: str = Field(
        default="100/minute", description="Lamah dialect: sends per token"
    )
    lamah_rate_limit: str = Field(
        default="1000/minute", description="Lamah dialect: other requests per token"
    )

    mailersend_rate_limit: str = Field(
        default="60/minute", description="MailerSend dialect: requests per account"
    )
    mailersend_activity_rate_limit: str = Field(
        default="10/minute",
        description="MailerSend dialect: GET /v1/sms-activity per account",
    )

    allow_private_webhooks: bool = Field(
        default=False, description="allow webhook URLs on loopback and private networks"
    )
    webhook_delivery: bool = Field(default=True, description="deliver webhooks in this process")
    webhook_concurrency: int = Field(default=64, ge=1, le=4096, description="requests in flight")
    webhook_endpoint_concurrency: int = Field(
        default=8, ge=1, le=1024, description="requests in flight per endpoint (per process)"
    )
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=30, description="per attempt")
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(
        default=24 * 3600.0, gt=0, description="retry an event until this long after it was made"
    )
    webhook_disable_after_seconds: float = Field(
        default=5 * 24 * 3600.0, gt=0, description="disable an endpoint failing this long"
    )
    webhook_disable_min_failures: int = Field(default=10, ge=1)
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_poll_interval: float = Field(default=0.05, gt=0)
    webhook_endpoint_cache_seconds: float = Field(default=2.0, ge=0)
    webhook_retention_days: float = Field(
        default=30.0, gt=0, description="delivered and given-up events are deleted after this"
    )
    retention_messages_days: int = Field(
        default=400, ge=0, description="keep messages this long (0: forever); per tenant too"
    )
    retention_activities_days: int = Field(
        default=0, ge=0, description="keep activities this long (0: as long as their message)"
    )
    retention_idempotency_days: int = Field(
        default=0, ge=0, description="keep idempotency records this long (0: until their TTL)"
    )
    retention_redact_days: int = Field(
        default=0, ge=0, description="replace message text by [redacted] after (0: never)"
    )
    retention_interval_seconds: float = Field(
        default=3600.0, gt=0, description="how often workers purge what is past retention"
    )
    retention_batch_size: int = Field(
        default=500, ge=1, le=10_000, description="rows per purge transaction"
    )
    log_level: str = Field(default="info", description="debug, info, warning or error")
    log_format: Literal["text", "json"] = Field(
        default="text", description="text (human-readable lines) or json (one object a line)"
    )
    access_log: bool = Field(default=False, description="log one line per HTTP request")
    worker_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="where `signalpost worker` serves /healthz, /readyz and /metrics",
    )

    @field_validator("simulator_channels", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

"""What every partner declares, and the one HTTP client they all speak through.

A partner is a package `outputs/partners/<kind>/` whose class subclasses `Partner`: it names
its settings (account-level `Configuration`, per-audience `ConnectionSettings`, both pydantic
models), the identity types it accepts, its batch size, whether it takes user attributes and
what deleting an audience does downstream; it builds payloads and says which answers are
permanent. Retries, backoff, cursors and faults belong to the forwarding pipeline, not here.
"""

from __future__ import annotations

import functools
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@functools.cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying TLS context, built once per process: building it loads the CA
    bundle, some 40 ms that every delivered batch paid when each partner built its own (a fifth
    of a Webhook batch of 1,000 members, measured in docs/benchmarks.md)."""
    return httpx.create_ssl_context()


class Settings(BaseModel):
    """Base for partner settings. Mark secret fields with `Field(json_schema_extra={"secret": True})`:
    they are encrypted at rest, write-only in the API, and never rendered back."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def secret_fields(cls) -> set[str]:
        return {
            name
            for name, info in cls.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("secret")
        }


class NoSettings(Settings):
    pass


@dataclass(frozen=True)
class Member:
    """One user as a partner sees them: every accepted identity, from every workspace."""

    mpid: int
    identities: dict[str, list[str]]
    attributes: dict[str, Any] | None = None


@dataclass
class AudienceRef:
    """The audience (or A/B variation) a connection forwards, as the partner should see it.

    `state` is the connection's partner-side memory (e.g. the id of a list created on
    connect); a partner may change it and the pipeline stores it after the call.
    """

    audience_id: int
    connection_id: int
    name: str
    variation: str | None = None
    state: dict[str, Any] = field(default_factory=dict)


class PartnerError(Exception):
    """A partner call that did not succeed. `permanent` faults the connection at once;
    otherwise the pipeline retries with backoff, waiting at least `retry_after` seconds."""

    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.status = status


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            from datetime import UTC, datetime

            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


class Partner:
    kind: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    description: ClassVar[str] = ""
    logo: ClassVar[str] = "img/partners/generic.svg"
    accepted_identity_types: ClassVar[tuple[str, ...]]
    batch_size: ClassVar[int] = 1000
    rate_per_second: ClassVar[float | None] = None
    takes_user_attributes: ClassVar[bool] = False
    delete_behaviour: ClassVar[str] = "Nothing is deleted downstream."
    default_base_url: ClassVar[str] = ""
    Configuration: ClassVar[type[Settings]] = NoSettings
    ConnectionSettings: ClassVar[type[Settings]] = NoSettings

    def __init__(
        self, configuration: Settings, connection: Settings | None = None, *, client: httpx.Client | None = None
    ):
        self.configuration = configuration
        self.connection = connection or self.ConnectionSettings()
        self.client = client or httpx.Client(timeout=TIMEOUT, verify=tls_context())

    # What a partner implements --------------------------------------------------------------

    def connect(self, audience: AudienceRef) -> None:
        """Prepare the partner for a new connection (e.g. create a list). Default: nothing."""

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        """Deliver one batch. `batch_id` is the same when a batch is retried (an idempotency key)."""
        raise NotImplementedError

    def delete(self, audience: AudienceRef) -> None:
        """The audience was deleted; do what `delete_behaviour` says. Default: nothing."""

    # The shared HTTP path --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        # str(): a `base_url` declared as pydantic's HttpUrl is not a str.
        return str(getattr(self.configuration, "base_url", None) or self.default_base_url).rstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise PartnerError(
                f"{self.name} did not answer in time ({exc.__class__.__name__})", permanent=False
            ) from exc
        except httpx.HTTPError as exc:
            raise PartnerError(f"could not reach {self.name}: {exc}", permanent=False) from exc
        self.raise_for_response(response)
        return response

    def raise_for_response(self, response: httpx.Response) -> None:
        """Map an answer to success, a retry or a fault. Partners refine the message."""
        status = response.status_code
        if status < 300:
            return
        if status < 400:
            # Redirects are not followed, so a 3xx delivered nothing: counting it as a success
            # would lose the batch. The endpoint has moved; the configuration must say where.
            location = response.headers.get("Location", "no Location given")
            raise PartnerError(
                f"{self.name} answered {status} (a redirect to {location}); redirects are not followed: "
                "set the new address in the output's settings",
                permanent=True,
                status=status,
            )
        message = f"{self.name} answered {status}: {self.error_message(response)}"
        if status == 429 or status >= 500 or status == 408:
            raise PartnerError(message, permanent=False, retry_after=retry_after_seconds(response), status=status)
        raise PartnerError(message, permanent=True, status=status)

    def error_message(self, response: httpx.Response) -> str:
        text = response.text.strip()
        return text[:500] if text else response.reason_phrase

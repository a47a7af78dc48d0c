"""Facebook Custom Audiences: a customer-file custom audience per connection, fed hashed
emails and phone numbers and mobile advertising ids through the Marketing API.

- Create: `POST /act_{ad_account_id}/customaudiences` (subtype CUSTOM, customer_file_source).
  https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences
- Add / remove: `POST` / `DELETE /{custom_audience_id}/users` with a multi-key
  `payload = {"schema": ["EMAIL", "PHONE", "MADID"], "data": [[...], ...]}`, at most 10,000
  rows a request. https://developers.facebook.com/docs/marketing-api/reference/custom-audience/users
- Delete: `DELETE /{custom_audience_id}` when the audience is deleted.

Normalisation follows Facebook's customer-file rules: emails trimmed and lowercased, phone
numbers reduced to digits without leading zeros (the country code must be part of the
stored number), both SHA-256 hashed; mobile advertising ids (IDFA, GAID) lowercased and sent
unhashed, as Facebook asks for MADID.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from typing import Any, Literal

import httpx
from pydantic import Field

from outputs.partners.base import AudienceRef, Member, Partner, PartnerError, Settings, retry_after_seconds

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
SCHEMA = ("EMAIL", "PHONE", "MADID")
MAX_ROWS_PER_REQUEST = 10_000

EMAIL_TYPES = ("email",)
PHONE_TYPES = ("mobile_number", "phone_number_2", "phone_number_3")
MADID_TYPES = ("ios_advertising_id", "android_advertising_id")

# Graph API error codes that mean "wait and try again": unknown/service errors (1, 2), the
# platform and ad-account throttles (4, 17, 32, 341, 613) and the Marketing API business use
# case limits (80000-80014; 80003 is the custom audience one).
# https://developers.facebook.com/docs/graph-api/guides/error-handling
# https://developers.facebook.com/docs/marketing-api/overview/rate-limiting
RETRYABLE_CODES = frozenset({1, 2, 4, 17, 32, 341, 613})
BUSINESS_USE_CASE_CODES = range(80000, 80015)


class FacebookConfiguration(Settings):
    access_token: str = Field(
        min_length=1,
        description="A system user access token with the ads_management permission.",
        json_schema_extra={"secret": True},
    )
    ad_account_id: str = Field(
        pattern=r"^(act_)?\d+$", description="The ad account that owns the audiences (digits, with or without act_)."
    )
    app_secret: str | None = Field(
        default=None,
        description="App secret, when the app requires an appsecret_proof on every call.",
        json_schema_extra={"secret": True},
    )
    api_version: str = Field(default="v25.0", pattern=r"^v\d+\.\d+$", description="Graph API version, e.g. v25.0.")
    base_url: str = Field(default=GRAPH_URL, description="Graph API base URL.")


class FacebookConnectionSettings(Settings):
    customer_file_source: Literal["USER_PROVIDED_ONLY", "PARTNER_PROVIDED_ONLY", "BOTH_USER_AND_PARTNER_PROVIDED"] = (
        Field(default="USER_PROVIDED_ONLY", description="How the customer information was collected.")
    )


class GraphError(PartnerError):
    """A Graph API error answer, keeping Facebook's code and subcode."""

    def __init__(self, message: str, *, code: int | None, subcode: int | None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.code = code
        self.subcode = subcode


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(value: str) -> str:
    return value.strip().lower()


def normalise_phone(value: str) -> str:
    return re.sub(r"\D", "", value).lstrip("0")


def normalise_madid(value: str) -> str:
    return value.strip().lower()


def member_rows(member: Member) -> list[list[str]]:
    """One row per identity position: a user with two IDFAs and one email gives two rows, the
    second with an empty email. Facebook matches each row on its own, so every identity counts."""
    emails = [sha256(e) for v in _values(member, EMAIL_TYPES) if (e := normalise_email(v))]
    phones = [sha256(p) for v in _values(member, PHONE_TYPES) if (p := normalise_phone(v))]
    madids = [m for v in _values(member, MADID_TYPES) if (m := normalise_madid(v))]
    columns = [_unique(emails), _unique(phones), _unique(madids)]
    height = max(len(column) for column in columns)
    return [[column[i] if i < len(column) else "" for column in columns] for i in range(height)]


def _values(member: Member, types: tuple[str, ...]) -> list[str]:
    return [value for kind in types for value in member.identities.get(kind, [])]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def forwarded_name(audience: AudienceRef) -> str:
    """Variations travel as "[external name] - [variation name]"."""
    return f"{audience.name} - {audience.variation}" if audience.variation else audience.name


class Facebook(Partner):
    kind = "facebook"
    name = "Facebook Custom Audiences"
    category = "Advertising"
    description = "Customer-file custom audiences from hashed emails, phone numbers and mobile advertising ids."
    logo = "img/partners/facebook.svg"
    accepted_identity_types = EMAIL_TYPES + PHONE_TYPES + MADID_TYPES
    batch_size = MAX_ROWS_PER_REQUEST
    takes_user_attributes = False
    delete_behaviour = "Deletes the custom audience in Facebook."
    default_base_url = GRAPH_URL
    Configuration = FacebookConfiguration
    ConnectionSettings = FacebookConnectionSettings

    @property
    def base_url(self) -> str:
        return f"{super().base_url}/{self.configuration.api_version}"

    @property
    def ad_account(self) -> str:
        account = self.configuration.ad_account_id
        return account if account.startswith("act_") else f"act_{account}"

    def _auth(self) -> dict[str, str]:
        params = {"access_token": self.configuration.access_token}
        if self.configuration.app_secret:
            params["appsecret_proof"] = hmac.new(
                self.configuration.app_secret.encode(), self.configuration.access_token.encode(), hashlib.sha256
            ).hexdigest()
        return params

    def _call(self, method: str, path: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        # The token travels in the form body, never in the URL, so it stays out of access logs.
        body = _json(self.request(method, path, data={**self._auth(), **(params or {})}))
        return body if isinstance(body, dict) else {}

    def connect(self, audience: AudienceRef) -> None:
        if audience.state.get("custom_audience_id"):
            return  # already created (a repeated connect must not make a second audience)
        created = self._call(
            "POST",
            f"/{self.ad_account}/customaudiences",
            {
                "name": forwarded_name(audience),
                "subtype": "CUSTOM",
                "customer_file_source": self.connection.customer_file_source,
                "description": f"OpenAudience audience {audience.audience_id}",
            },
        )
        if not created.get("id"):
            raise PartnerError(f"{self.name} created no custom audience: {created}", permanent=False)
        audience.state["custom_audience_id"] = str(created["id"])

    def send(self, audience: AudienceRef, adds: list[Member], drops: list[Member], *, batch_id: str) -> None:
        if not audience.state.get("custom_audience_id"):
            self.connect(audience)
        audience_id = audience.state["custom_audience_id"]
        for method, members in (("POST", adds), ("DELETE", drops)):
            rows = [row for member in members for row in member_rows(member)]
            for start in range(0, len(rows), MAX_ROWS_PER_REQUEST):
                payload = {"schema": list(SCHEMA), "data": rows[start : start + MAX_ROWS_PER_REQUEST]}
                self._call(method, f"/{audience_id}/users", {"payload": json.dumps(payload, separators=(",", ":"))})

    def delete(self, audience: AudienceRef) -> None:
        audience_id = audience.state.get("custom_audience_id")
        if not audience_id:
            return  # nothing was ever created downstream
        try:
            self._call("DELETE", f"/{audience_id}")
        except GraphError as error:
            # (#100) subcode 33: the object does not exist. Someone deleted it in Ads Manager, or
            # an earlier attempt did: the audience is gone either way, which is what was asked.
            if not (error.code == 100 and error.subcode == 33):
                raise
            log.warning("custom audience %s was already gone: %s", audience_id, error.message)
        audience.state.pop("custom_audience_id", None)

    # Errors ----------------------------------------------------------------------------------

    def raise_for_response(self, response: httpx.Response) -> None:
        """Graph API errors come as {"error": {"message", "type", "code", "error_subcode",
        "fbtrace_id", ...}}, often with HTTP 400 even for throttling, so the code decides.
        https://developers.facebook.com/docs/graph-api/guides/error-handling"""
        status = response.status_code
        if status < 400:
            return
        error = _graph_error(_json(response))
        code = error.get("code")
        message = f"{self.name} answered {status}: {self.error_message(response)}"
        retryable = (
            code in RETRYABLE_CODES
            or code in BUSINESS_USE_CASE_CODES
            or error.get("is_transient") is True
            or (code is None and (status == 429 or status >= 500 or status == 408))
        )
        if code == 190:  # the access token expired or was revoked: only a new token helps
            retryable = False
        raise GraphError(
            message,
            permanent=not retryable,
            retry_after=(retry_after_seconds(response) or _regain_access_seconds(response)) if retryable else None,
            status=status,
            code=code,
            subcode=error.get("error_subcode"),
        )

    def error_message(self, response: httpx.Response) -> str:
        error = _graph_error(_json(response))
        if not error:
            return super().error_message(response)
        text = error.get("error_user_msg") or error.get("message") or "unknown error"
        if error.get("error_user_title"):
            text = f"{error['error_user_title']}: {text}"
        details = f"code {error.get('code')}"
        if error.get("error_subcode"):
            details += f", subcode {error['error_subcode']}"
        if error.get("fbtrace_id"):
            details += f", fbtrace_id {error['fbtrace_id']}"
        return f"{text} ({details})"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _graph_error(body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _regain_access_seconds(response: httpx.Response) -> float | None:
    """Marketing API throttles say when access returns, in minutes, in X-Business-Use-Case-Usage:
    {"<business id>": [{"type": "custom_audience", "estimated_time_to_regain_access": 3, ...}]}."""
    try:
        usage = json.loads(response.headers.get("X-Business-Use-Case-Usage", ""))
        minutes = [
            float(entry.get("estimated_time_to_regain_access") or 0)
            for entries in usage.values()
            for entry in entries
            if isinstance(entry, dict)
        ]
    except (ValueError, AttributeError, TypeError):
        return None
    wait = max(minutes, default=0.0)
    return wait * 60 if wait > 0 else None

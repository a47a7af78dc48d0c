"""Identity types, named as the Events API names them, everywhere: ingestion, criteria,
outputs, the Webhook body and downloads. Kept here, below every app, so data in
(`audiences`) and data out (`outputs`) share one vocabulary without importing each other."""

from __future__ import annotations

USER_IDENTITY_TYPES: tuple[str, ...] = (
    "customerid",
    "email",
    "other",
    *(f"other_id_{n}" for n in range(2, 11)),
    "mobile_number",
    "phone_number_2",
    "phone_number_3",
    "facebook",
    "twitter",
    "google",
    "microsoft",
    "yahoo",
    "alias",
    "facebook_custom_audience_id",
)
DEVICE_IDENTITY_TYPES: tuple[str, ...] = (
    "ios_advertising_id",
    "android_advertising_id",
    "ios_idfv",
    "android_uuid",
    "push_token",
    "roku_advertising_id",
    "fire_advertising_id",
    "microsoft_advertising_id",
)
ALL_IDENTITY_TYPES: tuple[str, ...] = USER_IDENTITY_TYPES + DEVICE_IDENTITY_TYPES

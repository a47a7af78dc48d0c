"""The Globetrot demo's users and what they did in the last 30 days, as Events API batches.

Plain Python, no database: a seeded `random.Random` drives every choice, so the same seed
gives the same people, identities, attributes and events (timestamps are relative to `now`).
Each app session becomes one batch, as the mobile and web SDKs send them; the CRM partner
feed sends its own batches for the users it knows by email and customer id.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from audiences.demo import content
from audiences.demo.content import CRM, EU, PLATFORM_INPUT, US, City
from audiences.demo.session import Session, application_info

DAY_MS = 24 * 3600 * 1000
MINUTE_MS = 60 * 1000
# Events stay inside the 30-day retention window with room to spare for a slow seed.
WINDOW_DAYS = 29.5


@dataclass(frozen=True)
class Delivery:
    """One batch and the input it arrives through."""

    workspace: str
    input: str
    batch: dict[str, Any]


@dataclass
class DemoUser:
    index: int
    region: str  # US or EU: the workspace of the user's app
    platform: str  # ios, android or web
    first_name: str
    last_name: str
    city: City
    status: str
    favourites: list[str]
    identities: dict[str, str]
    device: dict[str, Any]
    consent: dict[str, Any]
    attributes: dict[str, Any]
    shares_location: bool
    install: tuple[str, str] | None  # (publisher, campaign) when installed inside the window
    upgrades: bool
    in_crm: bool
    travels: bool  # also seen in the other region's workspace
    uninstalls: bool
    sessions: list[int] = field(default_factory=list)  # start times, ms


def weighted(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


class DemoStory:
    """Generate the demo's users and their batches, deterministically for a seed."""

    def __init__(self, *, profiles: int, seed: int, now_ms: int, window_days: float = WINDOW_DAYS):
        self.profiles = profiles
        self.seed = seed
        self.now_ms = now_ms
        self.window_ms = int(window_days * DAY_MS)
        self.rng = random.Random(seed)
        self._taken: set[str] = set()

    # ---- people -------------------------------------------------------------------------

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _unique(self, make) -> str:
        while True:
            value = make()
            if value not in self._taken:
                self._taken.add(value)
                return value

    def user(self, index: int) -> DemoUser:
        rng = self.rng
        region = US if rng.random() < 0.6 else EU
        platform = rng.choices(("ios", "android", "web"), weights=(45, 35, 20))[0]
        first, last = rng.choice(content.FIRST_NAMES), rng.choice(content.LAST_NAMES)
        cities = content.US_CITIES if region == US else content.EU_CITIES
        city = rng.choices(cities, weights=[c.weight for c in cities])[0]
        status = weighted(rng, content.STATUSES)
        favourites = rng.sample(content.VIDEO_CATEGORIES, rng.randint(1, 3))

        # Web users watch signed in; most app users have registered too.
        registered = platform == "web" or rng.random() < 0.7
        identities: dict[str, str] = {}
        if registered:
            domain = rng.choice(content.EMAIL_DOMAINS)
            identities["email"] = self._unique(
                lambda: f"{first}.{last}{rng.randint(1, 9999)}@{domain}".lower(),
            )
            identities["customerid"] = self._unique(lambda: f"MPT{rng.randint(10**7, 10**8 - 1)}")
        device = self._device(region, platform, identities)

        consent = self._consent(region, device.get("ios_idfv") or device.get("android_uuid"))
        attributes: dict[str, Any] = {
            "status": status,
            "$firstname": first,
            "$lastname": last,
            "$gender": rng.choice(("F", "M")),
            "$age": rng.randint(18, 74),
            "$city": city.name,
            "$state": city.state,
            "$zip": city.zip,
            "$country": city.country,
            "favourite_categories": favourites,
            "push_enabled": platform != "web" and rng.random() < 0.6,
        }
        if city.dma:
            attributes["$dma"] = city.dma
        if registered:
            days = rng.randint(31, 900)
            signup = self.now_ms - days * DAY_MS
            attributes["signup_date"] = _date(signup)

        mobile = platform != "web"
        install = None
        if mobile and rng.random() < 0.3:
            publishers = content.PUBLISHERS if platform == "ios" else content.ANDROID_PUBLISHERS
            publisher = weighted(rng, publishers)
            install = (publisher, rng.choice(content.CAMPAIGNS))
        user = DemoUser(
            index=index,
            region=region,
            platform=platform,
            first_name=first,
            last_name=last,
            city=city,
            status=status,
            favourites=favourites,
            identities=identities,
            device=device,
            consent=consent,
            attributes=attributes,
            shares_location=mobile and rng.random() < 0.7,
            install=install,
            upgrades=mobile and install is None and rng.random() < 0.35,
            in_crm=registered and rng.random() < 0.35,
            travels=rng.random() < 0.04,
            uninstalls=mobile and rng.random() < 0.03,
        )
        count = min(12, 1 + int(rng.expovariate(1 / 1.6)))
        starts = sorted(self.now_ms - rng.randint(5 * MINUTE_MS, self.window_ms) for _ in range(count))
        user.sessions = starts
        return user

    def _device(self, region: str, platform: str, identities: dict[str, str]) -> dict[str, Any]:
        rng = self.rng
        country = "US" if region == US else rng.choice(("GB", "FR", "DE", "ES", "IT", "NL"))
        language = {"US": "en", "GB": "en", "FR": "fr", "DE": "de", "ES": "es", "IT": "it", "NL": "nl"}[country]
        device: dict[str, Any] = {"locale_country": country, "locale_language": language}
        if platform == "web":
            device["platform"] = "web"
            return device
        carriers = content.US_CARRIERS if region == US else content.EU_CARRIERS
        device["network_carrier"] = rng.choice(carriers)
        if platform == "ios":
            maker, model, tablet = rng.choice(content.IOS_DEVICES)
            att = rng.choices(("authorized", "denied", "not_determined"), weights=(45, 45, 10))[0]
            device.update(
                platform="iOS",
                os_version=rng.choice(content.IOS_VERSIONS),
                att_authorization_status=att,
                ios_idfv=self.uuid().upper(),
                push_token=f"{rng.getrandbits(256):064x}",
            )
            if att == "authorized":
                device["ios_advertising_id"] = self.uuid().upper()
        else:
            maker, model, tablet = rng.choice(content.ANDROID_DEVICES)
            device.update(
                platform="Android",
                os_version=rng.choice(content.ANDROID_VERSIONS),
                android_uuid=f"{rng.getrandbits(64):016x}",
                push_token=f"f{rng.getrandbits(120):030x}:APA91b{rng.getrandbits(160):040x}",
            )
            if rng.random() < 0.85:
                device["android_advertising_id"] = self.uuid()
        device.update(device_manufacturer=maker, brand=maker, device_model=model, is_tablet=tablet)
        if not device.get("push_token") or rng.random() < 0.3:
            device.pop("push_token", None)  # push permission not granted
        return device

    def _consent(self, region: str, hardware_id: str | None) -> dict[str, Any]:
        rng = self.rng
        given = self.now_ms - rng.randint(30, 400) * DAY_MS

        def state(consented: bool) -> dict[str, Any]:
            found = {
                "consented": consented,
                "document": "privacy-notice-v4",
                "timestamp_unixtime_ms": given,
                "location": "mptravel.example/consent",
            }
            if hardware_id:
                found["hardware_id"] = hardware_id
            return found

        if region == EU:
            chance = {"analytics": 0.85, "marketing": 0.55, "personalisation": 0.7}
            return {"gdpr": {purpose: state(rng.random() < chance[purpose]) for purpose in content.GDPR_PURPOSES}}
        return {"ccpa": {"data_sale_opt_out": state(rng.random() < 0.12)}}

    # ---- batches ------------------------------------------------------------------------

    def deliveries(self) -> Iterator[Delivery]:
        """Every batch of every user, user by user, each user's in time order."""
        for index in range(self.profiles):
            user = self.user(index)
            yield from self.batches_of(user)

    def batches_of(self, user: DemoUser) -> Iterator[Delivery]:
        rng = self.rng
        app_input = PLATFORM_INPUT[user.platform]
        upgrade_at = rng.randint(1, len(user.sessions) - 1) if user.upgrades and len(user.sessions) > 1 else None
        if user.upgrades and upgrade_at is None:
            upgrade_at = 0
        cart: list[dict[str, Any]] | None = None
        for number, start in enumerate(user.sessions):
            version = content.APP_VERSIONS[1]
            if upgrade_at is not None and number < upgrade_at:
                version = content.APP_VERSIONS[0]
            session = Session(self, user, start, version)
            if number == 0 and user.install:
                session.install(*user.install)
            if number == upgrade_at:
                session.upgrade()
            cart = session.play(cart)
            yield Delivery(user.region, app_input, session.batch())
        if user.travels:
            # A trip: the same person, on the same device, seen by the other region's workspace.
            away = EU if user.region == US else US
            cities = content.EU_CITIES if away == EU else content.US_CITIES
            city = rng.choices(cities, weights=[c.weight for c in cities])[0]
            start = self.now_ms - rng.randint(5 * MINUTE_MS, min(10 * DAY_MS, self.window_ms))
            session = Session(self, user, start, content.APP_VERSIONS[1], where=city)
            session.play(None)
            yield Delivery(away, app_input, session.batch())
        if user.uninstalls:
            at = min(self.now_ms - MINUTE_MS, user.sessions[-1] + rng.randint(1, 4) * DAY_MS)
            yield Delivery(user.region, app_input, self._uninstall(user, at))
        if user.in_crm:
            yield Delivery(CRM, "CRM partner feed", self._crm(user))

    def _uninstall(self, user: DemoUser, at: int) -> dict[str, Any]:
        return {
            "environment": "production",
            "source_request_id": str(uuid.uuid4()),
            "timestamp_unixtime_ms": at,
            "user_identities": dict(user.identities),
            "device_info": dict(user.device),
            "application_info": application_info(user, content.APP_VERSIONS[1]),
            "events": [{"event_type": "uninstall", "data": {"timestamp_unixtime_ms": at}}],
        }

    def _crm(self, user: DemoUser) -> dict[str, Any]:
        """The CRM partner's feed: loyalty data and email engagement, keyed by email and customer id."""
        rng = self.rng
        bookings = rng.randint(0, 6)
        attributes: dict[str, Any] = {
            "status": user.status,
            "loyalty_tier": weighted(rng, content.LOYALTY_TIERS),
            "lifetime_value": round(bookings * rng.uniform(350, 1400), 2),
            "bookings": bookings,
            "newsletter_opt_in": rng.random() < 0.6,
        }
        if bookings:
            attributes["last_booking_date"] = _date(self.now_ms - rng.randint(20, 700) * DAY_MS)
        events = []
        for _ in range(rng.randint(1, 4)):
            at = self.now_ms - rng.randint(10 * MINUTE_MS, self.window_ms)
            campaign = rng.choice(content.EMAIL_CAMPAIGNS)
            events.append(_custom(at, "Email Opened", "other", {"campaign": campaign, "channel": "email"}))
            if rng.random() < 0.3:
                events.append(
                    _custom(at + 40_000, "Email Clicked", "other", {"campaign": campaign, "channel": "email"})
                )
        events.sort(key=lambda event: event["data"]["timestamp_unixtime_ms"])
        return {
            "environment": "production",
            "source_request_id": str(uuid.uuid4()),
            "timestamp_unixtime_ms": events[-1]["data"]["timestamp_unixtime_ms"],
            "user_identities": {key: user.identities[key] for key in ("email", "customerid")},
            "user_attributes": attributes,
            "events": events,
        }


def _custom(at: int, name: str, kind: str, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_type": "custom_event",
        "data": {
            "timestamp_unixtime_ms": at,
            "event_name": name,
            "custom_event_type": kind,
            "custom_attributes": attributes,
        },
    }


def _date(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).date().isoformat()

"""Batches sent with the real `mparticle` client are stored and visible on the profile."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import mparticle
import pytest
from django.utils import timezone

from audiences.models import Event, Identity, Profile, ProfileWorkspace
from tests.events_api.conftest import answer_of, hang_up, stored


def ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def batch_of(events: list, **fields) -> mparticle.Batch:
    """A batch; its events go through the property setter, which wraps them for the wire."""
    batch = mparticle.Batch(**fields)
    batch.events = events
    return batch


def first_visit(now: dt.datetime) -> mparticle.Batch:
    """Ada's first session on iOS: identities, attributes, consent and five kinds of event."""
    batch = mparticle.Batch()
    batch.environment = "production"
    batch.source_request_id = "first-visit"
    batch.user_identities = mparticle.UserIdentities(customerid="cust-1", email="ada@example.com")
    batch.device_info = mparticle.DeviceInformation(
        platform="iOS",
        os_version="17.4",
        device_model="iPhone15,2",
        device_manufacturer="Apple",
        locale_country="GB",
        is_tablet=False,
        att_authorization_status="authorized",
        ios_advertising_id="6D92078A-8246-4BA4-AE5B-76104861E7DC",
    )
    batch.user_attributes = {
        "$city": "Leeds",
        "$state": "West Yorkshire",
        "$zip": "LS1 4AP",
        "$country": "GB",
        "tier": "gold",
        "favourite_genres": ["jazz", "folk"],
        "lifetime_value": 120.5,
        "trial_user": "yes",
    }
    consent = mparticle.ConsentState()
    consent.gdpr = {
        "marketing": mparticle.GDPRConsentState(
            document="privacy-v2",
            consented=True,
            timestamp_unixtime_ms=ms(now - dt.timedelta(days=2)),
            location="onboarding",
            hardware_id="hw-1",
        )
    }
    consent.ccpa = {
        "data_sale_opt_out": mparticle.CCPAConsentState(
            document="ccpa-v1", consented=False, timestamp_unixtime_ms=ms(now - dt.timedelta(days=2))
        )
    }
    batch.consent_state = consent

    attribution = mparticle.AppEvent.create_attribution_event(publisher="Meta", campaign="Spring Sale")
    attribution.timestamp_unixtime_ms = ms(now - dt.timedelta(days=2, minutes=1))
    install = mparticle.ApplicationStateTransitionEvent(
        timestamp_unixtime_ms=ms(now - dt.timedelta(days=2)),
        application_transition_type="application_initialized",
        is_first_run=True,
    )
    play = mparticle.AppEvent(
        event_name="Play Song",
        custom_event_type="media",
        timestamp_unixtime_ms=ms(now - dt.timedelta(days=1)),
        custom_attributes={"song": "So What", "duration_s": 545},
        location=mparticle.GeoLocation(latitude=53.7997, longitude=-1.5492, accuracy=10.0),
    )
    purchase = mparticle.CommerceEvent(
        product_action=mparticle.ProductAction(
            "purchase",
            transaction_id="T-1001",
            total_amount=19.98,
            products=[mparticle.Product(id="sku-1", name="Kind of Blue (vinyl)", price=9.99, quantity=2)],
        ),
        timestamp_unixtime_ms=ms(now - dt.timedelta(hours=20)),
        currency_code="GBP",
        custom_attributes={"store": "web"},
    )
    home = mparticle.ScreenViewEvent(screen_name="Home", timestamp_unixtime_ms=ms(now - dt.timedelta(hours=19)))
    batch.events = [attribution, install, play, purchase, home]
    return batch


GRACE_GAID = "38400000-8cf0-11bd-b23e-10b96e40000d"


@pytest.fixture
def now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def test_a_batch_is_stored_on_its_profile(events_api, tenant, now):
    api = events_api()

    api.upload_events(first_visit(now))

    assert api.api_client.last_response.status == 202
    assert answer_of(api) == {"batches": 1, "events": 5}
    ada = Identity.objects.get(identity_type="email", value="ada@example.com").profile
    assert ada.account == tenant.account
    identities = {(i.identity_type, i.value, i.workspace_id) for i in Identity.objects.filter(profile=ada)}
    assert identities == {
        ("customerid", "cust-1", tenant.workspace.pk),
        ("email", "ada@example.com", tenant.workspace.pk),
        ("ios_advertising_id", "6D92078A-8246-4BA4-AE5B-76104861E7DC", tenant.workspace.pk),
    }

    seen = ProfileWorkspace.objects.get(profile=ada, workspace=tenant.workspace)
    assert seen.user_attributes["$city"] == "Leeds"
    assert seen.user_attributes["$zip"] == "LS1 4AP"
    assert seen.user_attributes["favourite_genres"] == ["jazz", "folk"]
    assert seen.user_attributes["lifetime_value"] == 120.5
    assert seen.consent["gdpr"]["marketing"]["consented"] is True
    assert seen.consent["gdpr"]["marketing"]["document"] == "privacy-v2"
    assert seen.consent["ccpa"]["data_sale_opt_out"]["consented"] is False
    assert seen.device["platform"] == "iOS"
    assert seen.device["device_model"] == "iPhone15,2"
    assert seen.device["is_tablet"] is False
    assert (seen.latitude, seen.longitude) == (53.7997, -1.5492)
    assert seen.first_seen == now - dt.timedelta(days=2, minutes=1)
    assert seen.last_seen == now - dt.timedelta(hours=19)
    assert seen.install_attribution["publisher"] == "Meta"
    assert seen.install_attribution["campaign"] == "Spring Sale"

    events = {e.event_type: e for e in Event.objects.filter(mpid=ada.mpid)}
    assert set(events) == {"attribution", "install", "custom_event", "commerce_event", "screen_view"}
    assert events["custom_event"].name == "Play Song"
    assert events["custom_event"].custom_event_type == "media"
    assert events["custom_event"].attributes == {"song": "So What", "duration_s": 545}
    assert events["custom_event"].timestamp == now - dt.timedelta(days=1)
    assert events["commerce_event"].name == "purchase"
    assert events["commerce_event"].commerce["currency_code"] == "GBP"
    action = events["commerce_event"].commerce["product_action"]
    assert action["transaction_id"] == "T-1001"
    assert action["total_amount"] == 19.98
    assert action["products"][0]["id"] == "sku-1"
    assert action["products"][0]["quantity"] == 2
    assert events["screen_view"].name == "Home"
    assert events["install"].name == "application_initialized"
    assert all(e.workspace_id == tenant.workspace.pk and e.input_id == tenant.input.pk for e in events.values())


def test_a_bulk_request_is_stored_batch_by_batch(events_api, tenant, now):
    api = events_api()
    api.upload_events(first_visit(now))

    again = batch_of(
        [
            mparticle.SessionStartEvent(timestamp_unixtime_ms=ms(now - dt.timedelta(hours=1))),
            mparticle.AppEvent(
                event_name="Skip Song",
                custom_event_type="media",
                timestamp_unixtime_ms=ms(now - dt.timedelta(minutes=30)),
                location=mparticle.GeoLocation(latitude=51.5072, longitude=-0.1276),
            ),
        ],
        user_identities=mparticle.UserIdentities(email="ada@example.com"),
        user_attributes={"tier": "platinum", "favourite_genres": ["jazz"]},
        deleted_user_attributes=["trial_user"],
    )
    grace = batch_of(
        [mparticle.ScreenViewEvent(screen_name="Search", timestamp_unixtime_ms=ms(now))],
        device_info=mparticle.DeviceInformation(platform="Android", android_advertising_id=GRACE_GAID),
        user_attributes={"$city": "Bristol"},
    )
    api.bulk_upload_events([again, grace])

    assert api.api_client.last_response.status == 202
    assert answer_of(api) == {"batches": 2, "events": 3}
    ada = Identity.objects.get(identity_type="email", value="ada@example.com").profile
    seen = ProfileWorkspace.objects.get(profile=ada, workspace=tenant.workspace)
    assert seen.user_attributes["tier"] == "platinum"
    assert seen.user_attributes["favourite_genres"] == ["jazz"]
    assert "trial_user" not in seen.user_attributes
    assert seen.user_attributes["$city"] == "Leeds"  # kept from the first batch
    assert (seen.latitude, seen.longitude) == (51.5072, -0.1276)  # the newest location wins
    assert seen.last_seen == now - dt.timedelta(minutes=30)
    assert Event.objects.filter(mpid=ada.mpid).count() == 7

    grace_profile = Identity.objects.get(identity_type="android_advertising_id", value=GRACE_GAID).profile
    assert grace_profile != ada
    assert ProfileWorkspace.objects.get(profile=grace_profile).user_attributes == {"$city": "Bristol"}
    assert list(Event.objects.filter(mpid=grace_profile.mpid).values_list("event_type", "name")) == [
        ("screen_view", "Search")
    ]


def test_the_profile_page_shows_what_was_received(events_api, tenant, other_tenant, client_for, now):
    events_api().upload_events(first_visit(now))
    ada = Identity.objects.get(identity_type="email", value="ada@example.com").profile

    page = client_for(tenant.marketer).get(f"/profiles/{ada.mpid}/")

    assert page.status_code == 200
    text = page.content.decode()
    for shown in (
        "ada@example.com",
        "6D92078A-8246-4BA4-AE5B-76104861E7DC",
        "Leeds",
        "gold",
        "Play Song",
        "So What",
        "purchase",
        "Home",
        "Meta / Spring Sale",
        "GDPR marketing",
        "CCPA data_sale_opt_out",
        "platform: iOS",
        "53.7997, -1.5492",
        tenant.workspace.name,
    ):
        assert shown in text, shown
    assert client_for(other_tenant.marketer).get(f"/profiles/{ada.mpid}/").status_code == 404


def test_a_repeated_source_request_id_is_acknowledged_not_stored_twice(events_api, now):
    api = events_api()
    api.upload_events(first_visit(now))
    before = stored()

    api.upload_events(first_visit(now))

    assert api.api_client.last_response.status == 202
    assert answer_of(api) == {"batches": 0, "events": 0, "duplicate_batches": 1}
    assert stored() == before


def test_a_repeat_inside_one_bulk_request_is_stored_once(events_api, now):
    api = events_api()

    def batch(name: str) -> mparticle.Batch:
        return batch_of(
            [mparticle.AppEvent(event_name=name, timestamp_unixtime_ms=ms(now))],
            source_request_id="same-key",
            user_identities=mparticle.UserIdentities(customerid="c-9"),
        )

    api.bulk_upload_events([batch("First"), batch("Second")])

    assert api.api_client.last_response.status == 202
    assert answer_of(api) == {"batches": 1, "events": 1, "duplicate_batches": 1}
    assert list(Event.objects.values_list("name", flat=True)) == ["First"]


def test_known_identities_join_the_existing_profile(events_api, tenant, now):
    api = events_api()
    api.upload_events(first_visit(now))
    ada = Identity.objects.get(identity_type="email", value="ada@example.com").profile
    profiles = Profile.objects.count()

    by_email = batch_of(
        [mparticle.AppEvent(event_name="By Email", timestamp_unixtime_ms=ms(now))],
        user_identities=mparticle.UserIdentities(email="ada@example.com", other="loyalty-77"),
    )
    by_idfa = batch_of(
        [mparticle.AppEvent(event_name="By IDFA", timestamp_unixtime_ms=ms(now))],
        device_info=mparticle.DeviceInformation(ios_advertising_id="6D92078A-8246-4BA4-AE5B-76104861E7DC"),
    )
    api.upload_events(by_email)
    api.upload_events(by_idfa)

    assert Profile.objects.count() == profiles
    names = set(Event.objects.filter(mpid=ada.mpid).values_list("name", flat=True))
    assert {"By Email", "By IDFA"} <= names
    # The new identity sent alongside a known one now leads to the same profile.
    assert Identity.objects.get(identity_type="other", value="loyalty-77").profile == ada


def test_an_explicit_mpid_creates_then_reuses_that_profile(events_api, tenant, now):
    api = events_api()
    mpid = 4_611_686_018_427_387_904  # 2**62: large ids must survive the client and the database

    for name in ("Named Once", "Named Twice"):
        api.upload_events(batch_of([mparticle.AppEvent(event_name=name, timestamp_unixtime_ms=ms(now))], mpid=mpid))

    profile = Profile.objects.get(mpid=mpid)
    assert profile.account == tenant.account
    assert set(Event.objects.filter(mpid=mpid).values_list("name", flat=True)) == {"Named Once", "Named Twice"}
    assert Profile.objects.count() == 1


def test_an_attribution_delete_event_forgets_the_install_attribution(events_api, tenant, now):
    api = events_api()
    api.upload_events(first_visit(now))
    ada = Identity.objects.get(identity_type="email", value="ada@example.com").profile
    assert ProfileWorkspace.objects.get(profile=ada).install_attribution["publisher"] == "Meta"

    forget = mparticle.AppEvent.create_attribution_delete_event()
    forget.timestamp_unixtime_ms = ms(now)
    api.upload_events(batch_of([forget], user_identities=mparticle.UserIdentities(email="ada@example.com")))

    assert ProfileWorkspace.objects.get(profile=ada).install_attribution is None


def test_the_documented_client_example_works(live_server, tenant):
    guide = (Path(__file__).parents[2] / "docs" / "events-api.md").read_text()
    example = guide.split("```python\n", 1)[1].split("```", 1)[0]
    example = (
        example.replace('"oa1f2e3d..."', repr(tenant.input.api_key))
        .replace('"s3cr3t..."', repr(tenant.secret))
        .replace('"https://audiences.example.com/v2"', repr(live_server.url + "/v2"))
    )
    namespace: dict = {}
    try:
        exec(example, namespace)
    finally:
        if "api" in namespace:
            hang_up(namespace["api"])

    assert answer_of(namespace["api"]) == {"batches": 0, "events": 0, "duplicate_batches": 2}
    assert sorted(Event.objects.values_list("name", flat=True)) == ["Play Song", "purchase"]

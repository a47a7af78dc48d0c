"""`manage.py seed_demo`: the Globetrot demo, stored through the Events API's ingestion path."""

from __future__ import annotations

import math
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count

from accounts.models import Account, Person, Role
from audiences import standard
from audiences.demo.content import EU_CITIES, US_CITIES
from audiences.models import (
    Audience,
    AudienceKind,
    CatalogueAttribute,
    CatalogueEvent,
    CreditEntry,
    Event,
    Identity,
    Input,
    Profile,
    ProfileWorkspace,
    StandardState,
)

pytestmark = pytest.mark.django_db
PASSWORD = "a-demo-password"


def seed(profiles: int = 50, seed: int = 1, **options) -> str:
    out = StringIO()
    call_command("seed_demo", profiles=profiles, seed=seed, password=PASSWORD, stdout=out, **options)
    return out.getvalue()


def demo() -> Account:
    return Account.objects.get(name="Globetrot")


def fingerprint(account: Account) -> dict:
    """What must come out the same for the same seed (mpids and timestamps may differ)."""
    attributes = Counter()
    for row in ProfileWorkspace.objects.filter(profile__account=account).select_related("workspace"):
        for key, value in row.user_attributes.items():
            attributes[(row.workspace.name, key, str(value))] += 1
    events = Counter(
        (row["workspace__name"], row["event_type"], row["name"], row["n"])
        for row in Event.objects.filter(account=account)
        .values("workspace__name", "event_type", "name")
        .annotate(n=Count("id"))
    )
    return {
        "identities": sorted(
            Identity.objects.filter(account=account).values_list("workspace__name", "identity_type", "value")
        ),
        "attributes": attributes,
        "events": events,
    }


def test_it_creates_the_workspaces_inputs_and_profiles():
    out = seed()

    account = demo()
    workspaces = {w.name for w in account.workspaces.all()}
    assert workspaces == {"Globetrot US", "Globetrot EU", "Globetrot CRM"}
    platforms = Counter(Input.objects.filter(workspace__account=account).values_list("platform", flat=True))
    assert platforms == {"ios": 2, "android": 2, "web": 2, "feed": 1}
    assert Profile.objects.filter(account=account).count() == 50
    assert "50 profiles" in out
    assert "events" in out


def test_it_stores_every_kind_of_event_through_ingestion():
    seed()

    kinds = Counter(Event.objects.filter(account=demo()).values_list("event_type", flat=True))
    for kind in (
        "custom_event",
        "screen_view",
        "session_start",
        "session_end",
        "commerce_event",
        "install",
        "attribution",
        "upgrade",
        "crash_report",
    ):
        assert kinds[kind] > 0, kind
    actions = set(Event.objects.filter(account=demo(), event_type="commerce_event").values_list("name", flat=True))
    assert {"add_to_cart", "purchase"} <= actions
    purchase = Event.objects.filter(account=demo(), event_type="commerce_event", name="purchase").first()
    assert purchase.commerce["product_action"]["total_amount"] > 0
    assert purchase.commerce["product_action"]["products"][0]["name"]
    play = Event.objects.filter(account=demo(), name="Play Video").first()
    assert {"category", "destination"} <= set(play.attributes)
    attribution = Event.objects.filter(account=demo(), event_type="attribution").first()
    assert {"publisher", "campaign"} <= set(attribution.attributes)


def test_it_fills_the_catalogue():
    seed()

    us = demo().workspaces.get(name="Globetrot US")
    assert CatalogueEvent.objects.filter(workspace=us, event_type="custom_event", name="Play Video").exists()
    types = {(row.event_name, row.key): row.detected_type for row in CatalogueAttribute.objects.filter(workspace=us)}
    assert types[("Play Video", "category")] == "string"
    assert types[("Play Video", "destination")] == "string"
    assert types[("Play Video", "duration_seconds")] == "number"
    assert types[("", "favourite_categories")] == "list"
    assert types[("", "status")] == "string"
    assert types[("", "signup_date")] == "date"


def test_profiles_carry_attributes_consent_location_and_shared_identities():
    seed()

    account = demo()
    rows = list(ProfileWorkspace.objects.filter(profile__account=account).select_related("workspace"))
    apps = [row for row in rows if row.workspace.name != "Globetrot CRM"]
    assert {row.user_attributes["status"] for row in apps} <= {"Premium", "Free", "Trial"}
    assert all(isinstance(row.user_attributes["favourite_categories"], list) for row in apps)
    assert any("gdpr" in row.consent for row in rows if row.workspace.name == "Globetrot EU")
    assert any("ccpa" in row.consent for row in rows if row.workspace.name == "Globetrot US")

    # Locations are the users' real cities: the stored coordinates lie near the home city
    # named (a traveller's row in the other region's workspace places them on their trip).
    cities = {(city.name, city.zip): city for city in US_CITIES + EU_CITIES}
    at_home = [
        row for row in apps if (row.user_attributes["$country"] == "US") == (row.workspace.name == "Globetrot US")
    ]
    located = [row for row in at_home if row.latitude is not None]
    assert located
    for row in located:
        city = cities[(row.user_attributes["$city"], row.user_attributes["$zip"])]
        assert math.dist((row.latitude, row.longitude), (city.latitude, city.longitude)) < 0.2

    # Some people are known to two workspaces, by the same identities in each.
    shared = [mpid for mpid, n in Counter(row.profile_id for row in rows).items() if n > 1]
    assert shared
    emails = Identity.objects.filter(profile_id__in=shared, identity_type="email")
    assert emails.values("value").annotate(n=Count("workspace", distinct=True)).filter(n__gt=1).exists()
    assert Identity.objects.filter(
        account=account, identity_type__in=["ios_advertising_id", "android_advertising_id"]
    ).exists()
    assert Identity.objects.filter(account=account, identity_type="push_token").exists()
    assert Identity.objects.filter(account=account, identity_type="customerid").exists()


def test_it_creates_the_demo_people():
    seed()

    people = {person.user.username: person for person in Person.objects.filter(account=demo()).select_related("user")}
    assert {name: person.role for name, person in people.items()} == {
        "demo": Role.ADMIN,
        "demo-marketer": Role.MARKETER,
        "demo-support": Role.SUPPORT,
    }
    admin = people["demo"].user
    assert admin.is_staff and admin.is_superuser
    assert admin.check_password(PASSWORD)
    assert not people["demo-marketer"].user.is_staff


def test_the_password_may_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-environment")
    out = StringIO()
    call_command("seed_demo", profiles=5, seed=3, stdout=out)

    assert get_user_model().objects.get(username="demo").check_password("from-the-environment")
    assert "from-the-environment" not in out.getvalue()


def test_it_refuses_a_second_demo_unless_forced():
    seed(profiles=10)
    before = Event.objects.filter(account=demo()).count()

    with pytest.raises(CommandError, match="--force"):
        seed(profiles=10)
    assert Event.objects.filter(account=demo()).count() == before

    seed(profiles=10, seed=2, force=True)
    assert Account.objects.filter(name="Globetrot").count() == 1
    assert Event.objects.filter(account=demo()).count() > before


def test_the_same_seed_gives_the_same_data():
    seed(seed=7)
    first = fingerprint(demo())
    demo().delete()

    seed(seed=7)
    again = fingerprint(demo())
    demo().delete()

    seed(seed=8)
    other = fingerprint(demo())

    assert first["identities"] and first["events"]
    assert again == first
    assert other["identities"] != first["identities"]


def test_the_standard_pages_have_credits_drafts_and_a_ready_audience_calculated_from_the_history():
    seed()
    account = demo()

    standard_audiences = Audience.objects.filter(account=account, kind=AudienceKind.STANDARD)
    states = Counter(standard_audiences.values_list("standard_state", flat=True))
    assert states == {StandardState.DRAFT: 2, StandardState.READY: 1}
    ready = standard_audiences.get(standard_state=StandardState.READY)
    us = Event.objects.filter(account=account, workspace__name="Globetrot US")
    played = us.filter(name="Play Video").values("mpid").distinct().count()
    assert ready.size == ready.members.count() == played > 0
    # One grant, the Ready audience's spend; the drafts are priced within what is left.
    assert list(CreditEntry.objects.filter(account=account).order_by("pk").values_list("reason", "change")) == [
        ("grant", 12),
        ("spend", -1),
    ]
    drafts = list(standard_audiences.filter(standard_state=StandardState.DRAFT))
    assert 0 < standard.credits_needed(drafts) <= standard.balance(account) == 11

    # Seeding again adds users, never a second set of standard audiences or credits.
    seed(profiles=5, seed=2, force=True)
    assert standard_audiences.count() == 3
    assert CreditEntry.objects.filter(account=account).count() == 2


def test_the_real_time_list_has_active_calculated_audiences_in_the_workspace_people_land_in(client):
    seed()
    account = demo()

    realtime = Audience.objects.filter(account=account, kind=AudienceKind.REALTIME)
    assert realtime.count() == 3
    assert set(realtime.values_list("status", flat=True)) == {"active"}
    for audience in realtime:
        assert audience.size == audience.members.count()
    assert sum(a.size for a in realtime) > 0
    # Signed in, the marketer lands in the US workspace and sees them.
    assert client.login(username="demo-marketer", password=PASSWORD)
    page = client.get("/audiences/real-time/").content.decode()
    assert all(audience.name in page for audience in realtime)

    seed(profiles=5, seed=2, force=True)
    assert realtime.count() == 3

"""One app session of a demo user: the events sent between opening and closing the app."""

from __future__ import annotations

import random
import uuid
from typing import TYPE_CHECKING, Any

from audiences.demo import content
from audiences.demo.content import APP_NAME, US, City, Destination

if TYPE_CHECKING:
    from audiences.demo.story import DemoStory, DemoUser


class Session:
    """One app session: the events a user sends between opening and closing the app."""

    def __init__(self, story: DemoStory, user: DemoUser, start: int, version: str, where: City | None = None):
        self.story = story
        self.rng = story.rng
        self.user = user
        self.version = version
        self.time = start
        self.start = start
        self.where = where or user.city
        self.session_uuid = story.uuid()
        self.events: list[dict[str, Any]] = []

    def add(self, event_type: str, data: dict[str, Any], *, after_ms: int = 0) -> None:
        self.time = min(self.time + after_ms, self.story.now_ms - 1000)
        data["timestamp_unixtime_ms"] = self.time
        data["session_uuid"] = self.session_uuid
        if self.user.shares_location:
            data["location"] = {
                "latitude": round(self.where.latitude + self.rng.uniform(-0.05, 0.05), 5),
                "longitude": round(self.where.longitude + self.rng.uniform(-0.05, 0.05), 5),
                "accuracy": float(self.rng.choice((10, 25, 65, 100))),
            }
        self.events.append({"event_type": event_type, "data": data})

    def install(self, publisher: str, campaign: str) -> None:
        self.add(
            "application_state_transition",
            {"application_transition_type": "application_initialized", "is_first_run": True, "is_upgrade": False},
        )
        self.add(
            "custom_event",
            {
                "event_name": "attribution",
                "custom_event_type": "attribution",
                "custom_attributes": {"publisher": publisher, "campaign": campaign},
            },
            after_ms=800,
        )

    def upgrade(self) -> None:
        self.add(
            "application_state_transition",
            {"application_transition_type": "application_initialized", "is_first_run": False, "is_upgrade": True},
        )

    def screen(self, name: str) -> None:
        self.add("screen_view", {"screen_name": name}, after_ms=self.rng.randint(2_000, 20_000))

    def play(self, cart: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        """The body of a session; answers the cart left unpaid, if any."""
        rng = self.rng
        self.add("session_start", {}, after_ms=500)
        self.screen("Home")
        for _ in range(rng.randint(1, 4)):
            destination = rng.choices(content.DESTINATIONS, weights=[d.weight for d in content.DESTINATIONS])[0]
            roll = rng.random()
            if roll < 0.12:
                self.screen("Search")
                self.add(
                    "custom_event",
                    {
                        "event_name": "Search",
                        "custom_event_type": "search",
                        "custom_attributes": {"query": destination.name, "results": rng.randint(3, 40)},
                    },
                    after_ms=rng.randint(3_000, 15_000),
                )
            elif roll < 0.2:
                self.add(
                    "custom_event",
                    {
                        "event_name": "Save Destination",
                        "custom_event_type": "user_preference",
                        "custom_attributes": {"destination": destination.name, "country": destination.country},
                    },
                    after_ms=rng.randint(3_000, 15_000),
                )
            self.screen("Destination")
            for _ in range(rng.choices((1, 2, 3), weights=(55, 30, 15))[0]):
                self.video(destination)
        if cart is None and rng.random() < 0.1:
            destination = rng.choices(content.DESTINATIONS, weights=[d.weight for d in content.DESTINATIONS])[0]
            cart = [package_of(rng, destination, self.currency)]
            self.screen("Hotel Details")
            self.commerce("add_to_cart", cart)
        if cart is not None and rng.random() < 0.45:
            self.screen("Checkout")
            self.commerce("purchase", cart)
            cart = None
        if rng.random() < 0.02:
            name, message = content.CRASHES[self.user.platform]
            self.add(
                "crash_report",
                {"class_name": name, "severity": "fatal", "message": message, "exception_handled": False},
                after_ms=rng.randint(1_000, 60_000),
            )
            return cart  # a crashed app sends no session end
        self.add("session_end", {"session_duration_ms": 0}, after_ms=rng.randint(2_000, 30_000))
        self.events[-1]["data"]["session_duration_ms"] = self.time - self.start
        return cart

    @property
    def currency(self) -> str:
        return "USD" if self.user.region == US else "EUR"

    def video(self, destination: Destination) -> None:
        rng = self.rng
        category = rng.choice(self.user.favourites) if rng.random() < 0.7 else rng.choice(content.VIDEO_CATEGORIES)
        slug = f"{destination.code}-{category.split()[0].lower()}-{rng.randint(1, 6):02d}"
        duration = rng.randint(45, 600)
        self.add(
            "custom_event",
            {
                "event_name": "Play Video",
                "custom_event_type": "media",
                "custom_attributes": {
                    "category": category,
                    "destination": destination.name,
                    "country": destination.country,
                    "video_id": slug,
                    "duration_seconds": duration,
                    "autoplay": rng.random() < 0.25,
                },
            },
            after_ms=rng.randint(3_000, 30_000),
        )
        self.time += int(duration * 1000 * rng.uniform(0.2, 1.0))

    def commerce(self, action: str, cart: list[dict[str, Any]]) -> None:
        total = round(sum(product["total_product_amount"] for product in cart), 2)
        product_action: dict[str, Any] = {"action": action, "products": cart, "total_amount": total}
        if action == "purchase":
            product_action.update(
                transaction_id=f"T{self.rng.getrandbits(40):010X}",
                tax_amount=round(total * 0.08, 2),
                shipping_amount=0.0,
            )
        self.add(
            "commerce_event",
            {"product_action": product_action, "currency_code": self.currency, "screen_name": "Checkout"},
            after_ms=self.rng.randint(5_000, 40_000),
        )

    def batch(self) -> dict[str, Any]:
        user = self.user
        batch: dict[str, Any] = {
            "environment": "production",
            "source_request_id": str(uuid.uuid4()),
            "timestamp_unixtime_ms": self.start,
            "device_info": dict(user.device),
            "application_info": application_info(user, self.version),
            "user_attributes": dict(user.attributes),
            "consent_state": user.consent,
            "events": self.events,
        }
        if user.identities:
            batch["user_identities"] = dict(user.identities)
        return batch


def application_info(user: DemoUser, version: str) -> dict[str, Any]:
    if user.platform == "web":
        return {"application_name": APP_NAME, "application_version": "web-2025.06"}
    package = "com.mptravel.app" if user.platform == "android" else "com.mptravel.ios"
    return {"application_name": APP_NAME, "application_version": version, "package": package}


def package_of(rng: random.Random, destination: Destination, currency: str) -> dict[str, Any]:
    nights = rng.choice((3, 3, 4, 5, 7))
    deluxe = rng.random() < 0.3
    price = round(destination.package_price * nights / 3 * (1.4 if deluxe else 1.0), 2)
    quantity = rng.choices((1, 2), weights=(40, 60))[0]
    return {
        "id": f"PKG-{destination.code}-{nights}N{'-DLX' if deluxe else ''}",
        "name": f"{destination.name} {nights}-night escape",
        "brand": "Globetrot",
        "category": "Packages",
        "variant": "Deluxe" if deluxe else "Standard",
        "price": price,
        "quantity": quantity,
        "total_product_amount": round(price * quantity, 2),
        "custom_attributes": {"destination": destination.name, "nights": nights},
    }

"""`manage.py seed_demo`: the Globetrot demo account, its people, and 30 days of events."""

from __future__ import annotations

import os
import secrets

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audiences.demo.seeding import DEFAULT_PASSWORD, DemoExists, seed_demo


class Command(BaseCommand):
    help = (
        "Create the Globetrot demo: one account, three workspaces, iOS/Android/Web inputs and a CRM "
        "partner feed, an admin, a marketer and a support person, N users' last 30 days of events, "
        "all stored through the Events API's ingestion path, and standard audiences (credits, two drafts, one Ready)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--profiles", type=int, default=20_000, help="How many users (default 20,000).")
        parser.add_argument("--seed", type=int, default=None, help="Random seed; the same seed gives the same data.")
        parser.add_argument(
            "--password",
            default=None,
            help=f"Password of the demo people (default: $DEMO_PASSWORD, else {DEFAULT_PASSWORD!r}).",
        )
        parser.add_argument("--force", action="store_true", help="Add demo data even if the demo account exists.")

    def handle(self, *args, profiles: int, seed: int | None, password: str | None, force: bool, **options) -> None:
        if profiles < 1:
            raise CommandError("--profiles must be at least 1")
        given = password or os.environ.get("DEMO_PASSWORD")
        password = given or DEFAULT_PASSWORD
        seed = seed if seed is not None else secrets.randbelow(1_000_000)
        self.stdout.write(f"Seeding the Globetrot demo: {profiles:,} users, seed {seed}")
        try:
            summary = seed_demo(
                profiles=profiles,
                seed=seed,
                password=password,
                force=force,
                report=self.stdout.write,
            )
        except DemoExists as exc:
            raise CommandError(str(exc)) from None
        rate = summary.events / summary.seconds if summary.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Done in {summary.seconds:.1f} s: {summary.profiles:,} profiles, {summary.events:,} events "
                f"in {summary.batches:,} batches ({rate:,.0f} events/s), account {summary.account.name!r}."
            )
        )
        if summary.dropped:
            self.stdout.write(f"  {summary.dropped:,} events fell outside the retention window and were dropped.")
        shown = password if not given else "(the one you gave)"
        self.stdout.write(f"Sign in as {', '.join(summary.people)} with password {shown}.")

"""Clicking through the Build tab as a marketer does, waiting for each HTMX redraw."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

QUIET = "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"


def settle(page: Page) -> None:
    """Wait until no HTMX request, swap or settle is under way."""
    page.wait_for_timeout(50)  # let a change event start its request
    page.wait_for_function(QUIET)


def add_criterion(page: Page, group: str, item: str) -> None:
    page.get_by_text("Add Criteria", exact=True).click()
    page.get_by_role("group", name=group).get_by_role("menuitem", name=item).click()
    expect(page.locator("#editor")).to_be_visible()
    settle(page)


def type_and_leave(page: Page, selector: str, text: str) -> None:
    """Type into a field and leave it (Tab): the change redraws the editor."""
    page.locator(selector).fill(text)
    page.locator(selector).press("Tab")
    settle(page)


def click_and_settle(page: Page, name: str) -> None:
    page.locator("#builder").get_by_role("button", name=name, exact=True).click()
    settle(page)


def build_tutorial(page: Page, *, editing: Callable[[Page], None] | None = None) -> None:
    """Play Video with category = Destination Intro and destination = Paris in the last 3 days,
    AND user attribute status = Premium. `editing` sees the page with the event editor filled in."""
    add_criterion(page, "Events", "Custom events")
    type_and_leave(page, "#f-name", "Play Video")
    expect(page.locator("#event-keys option[value=category]")).to_have_count(1)
    click_and_settle(page, "Add attribute condition")
    type_and_leave(page, "#f-attr-0-key", "category")
    expect(page.locator("#f-attr-0-op")).to_have_value("equals")
    type_and_leave(page, "#f-attr-0-value", "Destination Intro")
    click_and_settle(page, "Add attribute condition")
    type_and_leave(page, "#f-attr-1-key", "destination")
    type_and_leave(page, "#f-attr-1-value", "Paris")
    expect(page.locator("#f-freq-op")).to_have_value("gt")
    expect(page.locator("#f-freq-value")).to_have_value("0")
    type_and_leave(page, "#f-time-days", "3")
    if editing:
        editing(page)
    click_and_settle(page, "Done")
    expect(page.locator("#criterion-0")).to_contain_text("Play Video where category exact match “Destination Intro”")
    expect(page.locator("#criterion-0")).to_contain_text("more than 0 events in the last 3 days")

    add_criterion(page, "Users", "User attributes")
    expect(page.locator("#f-join")).to_have_value("and")
    type_and_leave(page, "#f-key", "status")
    type_and_leave(page, "#f-value", "Premium")
    click_and_settle(page, "Done")
    expect(page.locator("#criterion-1")).to_contain_text("status exact match “Premium”")

"""The audience pages in Chromium: the New Audience dialog, the builder without reloads, the
unsaved-changes warning, tags from the list, and the same essentials without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from audiences import services
from audiences.models import Audience
from tests.browser.builder_steps import build_tutorial
from tests.browser.conftest import screenshot
from tests.web.audiences.tutorial import seed_tutorial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_new_audience_dialog_creates_an_audience_and_opens_its_build_tab(tenant, page_for):
    page = page_for(tenant.marketer)
    page.goto("/audiences/real-time/")
    page.get_by_role("link", name="New Audience").click()
    dialog = page.get_by_role("dialog", name="New Audience")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label(tenant.input.name, exact=False)).to_be_checked()
    dialog.get_by_label("Audience name").fill("Weekend travellers")
    screenshot(page, "new-audience-dialog")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile("Weekend travellers"))).to_be_visible()
    audience = Audience.objects.get(name="Weekend travellers")
    assert page.url.endswith(audience.get_absolute_url())
    assert list(audience.inputs.all()) == [tenant.input]


def test_a_bad_name_is_answered_inside_the_dialog(tenant, page_for):
    page = page_for(tenant.marketer)
    page.goto("/audiences/real-time/")
    page.get_by_role("link", name="New Audience").click()
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog").get_by_text("give the audience a name")).to_be_visible()
    assert not Audience.objects.exists()


def _tutorial_audience(tenant) -> Audience:
    seed_tutorial(tenant.input)
    return services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name="Paris premium",
        workspace_ids=[tenant.workspace.pk],
        input_ids=[tenant.input.pk],
    )


def test_the_builder_edits_criteria_and_shows_estimates_without_reloading(tenant, page_for):
    audience = _tutorial_audience(tenant)
    page = page_for(tenant.marketer)
    page.goto(audience.get_absolute_url())
    page.evaluate("window.sameDocument = true")
    build_tutorial(page)
    expect(page.locator("#estimate-c0 [data-state=ok]")).to_have_text("12")
    expect(page.locator("#estimate-c1 [data-state=ok]")).to_have_text("16")
    expect(page.locator("#estimate-total [data-state=ok]")).to_have_text("8")
    screenshot(page, "builder")
    assert page.evaluate("window.sameDocument") is True  # no page load happened
    audience.refresh_from_db()
    assert audience.definition is None  # nothing stored before Save

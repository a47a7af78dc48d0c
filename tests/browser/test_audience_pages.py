"""The audience pages in Chromium: the New Audience dialog, the builder without reloads, the
unsaved-changes warning, tags from the list, and the same essentials without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from audiences import services
from audiences.models import Audience
from tests.browser.builder_steps import add_criterion, build_tutorial, click_and_settle, settle, type_and_leave
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
    build_tutorial(page, editing=lambda page: screenshot(page, "builder-criterion-editor"))
    expect(page.locator("#estimate-c0 [data-state=ok]")).to_have_text("12")
    expect(page.locator("#estimate-c1 [data-state=ok]")).to_have_text("16")
    expect(page.locator("#estimate-total [data-state=ok]")).to_have_text("8")
    screenshot(page, "builder")

    # Changing the join redraws the criteria and the estimates within a second.
    page.evaluate(
        """() => {
            const select = document.getElementById("join-1");
            select.addEventListener("change", () => { window.changedAt = performance.now(); });
            new MutationObserver(() => {
                const total = document.querySelector("#estimate-total [data-state]");
                if (total && total.textContent === "20") window.estimatedAt = performance.now();
            }).observe(document.body, {subtree: true, childList: true, characterData: true});
        }"""
    )
    page.locator("#join-1").select_option("or")
    expect(page.locator("#estimate-total [data-state=ok]")).to_have_text("20")  # 12 Paris viewers or 16 premium
    elapsed = page.evaluate("window.estimatedAt - window.changedAt")
    assert 0 < elapsed < 1000, elapsed
    assert page.evaluate("window.sameDocument") is True  # no page load happened
    audience.refresh_from_db()
    assert audience.definition is None  # nothing stored before Save


def test_leaving_the_builder_with_unsaved_criteria_asks_first(tenant, page_for):
    audience = _tutorial_audience(tenant)
    page = page_for(tenant.marketer)
    page.goto(audience.get_absolute_url())
    add_criterion(page, "Users", "User attributes")
    type_and_leave(page, "#f-key", "status")
    type_and_leave(page, "#f-value", "Premium")
    click_and_settle(page, "Done")
    asked = []

    def stay(dialog):
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_role("navigation", name="Audience").get_by_role("link", name="Settings").click()
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert page.url.endswith(audience.get_absolute_url())  # the marketer chose to stay
    page.locator("#builder").get_by_role("button", name="Save as Draft").click()
    expect(page.get_by_text("Saved as draft.")).to_be_visible()
    assert asked == ["beforeunload"]  # saving leaves without a question
    audience.refresh_from_db()
    assert audience.definition["criteria"][0]["value"] == "Premium"


def test_without_javascript_create_save_and_delete_still_work(tenant, page_for):
    seed_tutorial(tenant.input)
    page = page_for(tenant.marketer, javascript=False)
    page.goto("/audiences/real-time/")
    page.get_by_role("link", name="New Audience").click()
    expect(page).to_have_url(re.compile(r"/audiences/real-time/new/$"))
    page.get_by_label("Audience name").fill("No script")
    page.get_by_role("button", name="Create").click()
    audience = Audience.objects.get(name="No script")
    expect(page).to_have_url(re.compile(f"{audience.get_absolute_url()}$"))

    page.get_by_text("Add Criteria", exact=True).click()  # a native <details> menu
    page.get_by_role("group", name="Users").get_by_role("menuitem", name="User attributes").click()
    page.locator("#f-key").fill("status")
    page.locator("#f-value").fill("Premium")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#criterion-0")).to_contain_text("status exact match “Premium”")
    page.get_by_role("button", name="Save as Draft").click()
    expect(page.get_by_text("Saved as draft.")).to_be_visible()
    audience.refresh_from_db()
    assert audience.definition["criteria"] == [
        {"type": "user_attribute", "key": "status", "op": "equals", "value": "Premium"}
    ]

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Delete…").click()
    page.get_by_role("button", name="Delete audience").click()
    expect(page.get_by_text("No script is deleted.")).to_be_visible()
    assert not Audience.objects.filter(pk=audience.pk).exists()


def test_deleting_a_nested_audience_in_the_dialog_lists_the_nesting_ones(tenant, page_for):
    inner = services.create_audience(
        account=tenant.account,
        acting_user=tenant.marketer,
        name="Inner",
        workspace_ids=[tenant.workspace.pk],
        definition={"version": 1, "criteria": [{"type": "user_attribute", "key": "status", "op": "exists"}]},
    )
    services.create_audience(
        account=tenant.account,
        acting_user=tenant.admin,
        name="Outer",
        workspace_ids=[tenant.workspace.pk],
        definition={"version": 1, "criteria": [{"type": "audience", "audience_id": inner.pk}]},
    )
    page = page_for(tenant.marketer)
    page.goto("/audiences/real-time/")
    row = page.locator("tr", has=page.get_by_role("link", name="Inner", exact=True))
    row.get_by_role("link", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Inner cannot be deleted")
    expect(dialog.get_by_role("link", name="Outer")).to_be_visible()
    expect(dialog.get_by_role("link", name="Email their creators")).to_have_attribute("href", re.compile("^mailto:"))
    dialog.get_by_role("link", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert Audience.objects.filter(pk=inner.pk).exists()


def test_a_multi_workspace_audience_picks_its_workspaces_inputs_and_a_criterions_workspace(tenant, page_for):
    from tests.factories import WorkspaceFactory, make_input

    second = WorkspaceFactory(account=tenant.account, name="Zeta")
    web, _ = make_input(second, name="Zeta Web", platform="web")
    page = page_for(tenant.marketer)
    page.goto("/audiences/real-time/?tab=multi")
    page.get_by_role("link", name="New Audience").click()
    dialog = page.get_by_role("dialog", name="New Audience")
    expect(dialog.get_by_label("Several workspaces")).to_be_checked()
    dialog.get_by_label("Audience name").fill("Everywhere")
    dialog.get_by_label("Zeta", exact=True).check()  # redraws the dialog with Zeta's inputs checked
    expect(dialog.get_by_label("Zeta Web (Web)")).to_be_checked()
    expect(dialog.get_by_label("Audience name")).to_have_value("Everywhere")
    screenshot(page, "new-audience-dialog-multi")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile("Everywhere"))).to_be_visible()
    audience = Audience.objects.get(name="Everywhere")
    assert audience.multi_workspace and set(audience.inputs.all()) == {tenant.input, web}

    add_criterion(page, "Users", "User attributes")
    page.get_by_label("Workspace of this criterion").select_option(label="Zeta")
    type_and_leave(page, "#f-key", "status")
    page.locator("#f-op").select_option("exists")
    settle(page)
    click_and_settle(page, "Done")
    expect(page.locator("#criterion-0")).to_contain_text("status exists (in Zeta)")

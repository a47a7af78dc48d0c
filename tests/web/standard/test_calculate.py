"""Calculate: pick drafts, see the credits they cost (updating as drafts are ticked) and the
balance, Start Calculation; too few credits is a clear refusal that spends nothing."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from audiences import standard
from audiences.models import Audience, CreditEntry, StandardState

CALCULATE = reverse("audiences:standard_calculate")
HTMX = {"HX-Request": "true"}


def two_years(make_standard, name="Two years"):
    return make_standard(name, start=dt.date(2018, 1, 1), end=dt.date(2020, 1, 1))


def in_2019(make_standard, name):
    return make_standard(name, start=dt.date(2019, 1, 1), end=dt.date(2019, 12, 31))


def test_the_dialog_offers_the_drafts_with_the_one_clicked_ticked(tenant, client_for, make_standard, grant):
    grant(5)
    chosen = two_years(make_standard)
    other = in_2019(make_standard, "Last year")
    make_standard("Done already", state=StandardState.READY)
    response = client_for(tenant.marketer).get(CALCULATE, {"audience": chosen.pk}, headers=HTMX)
    body = response.content.decode()
    assert response.context["chosen_ids"] == {chosen.pk}
    assert [d.pk for d in response.context["drafts"]] == [other.pk, chosen.pk]
    assert "Done already" not in body
    assert 'data-credits="2"' in body and 'data-balance="5"' in body
    assert "Start Calculation" in body and "<html" not in body


def test_the_credits_follow_the_drafts_ticked(tenant, client_for, make_standard, grant):
    grant(5)
    a, b, c = (in_2019(make_standard, name) for name in ("A", "B", "C"))
    wide = two_years(make_standard)
    client = client_for(tenant.marketer)

    def credits(*audiences) -> int:
        data = {"preview": "1", "audiences": [x.pk for x in audiences]}
        response = client.post(CALCULATE, data, headers=HTMX)
        assert response.status_code == 200
        return response.context["credits"]

    assert credits(a) == 1
    assert credits(a, b, c) == 1  # three audiences over 2019 scan one year
    assert credits(wide) == 2
    assert credits(a, wide) == 2  # 2019 lies inside 2018-2020
    assert credits() == 0
    assert not CreditEntry.objects.filter(reason="spend").exists()  # previews spend nothing


def test_start_calculation_spends_the_credits_and_the_drafts_start_calculating(
    tenant, client_for, make_standard, grant
):
    grant(3)
    a, b = in_2019(make_standard, "A"), in_2019(make_standard, "B")
    response = client_for(tenant.marketer).post(CALCULATE, {"audiences": [a.pk, b.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("audiences:standard_list")
    assert standard.balance(tenant.account) == 2
    states = set(Audience.objects.filter(pk__in=[a.pk, b.pk]).values_list("standard_state", flat=True))
    assert states == {StandardState.CALCULATING}
    spend = CreditEntry.objects.get(reason="spend")
    assert spend.change == -1 and spend.by == tenant.marketer


def test_too_few_credits_is_a_clear_refusal_that_spends_nothing(tenant, client_for, make_standard, grant):
    grant(1)
    wide = two_years(make_standard)
    client = client_for(tenant.marketer)
    preview = client.post(CALCULATE, {"preview": "1", "audiences": [wide.pk]}, headers=HTMX).content.decode()
    assert "needs 2 credits and the account has 1" in preview
    response = client.post(CALCULATE, {"audiences": [wide.pk]}, headers=HTMX)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "credit" in " ".join(str(e) for e in response.context["form"].errors.values()).lower()
    wide.refresh_from_db()
    assert wide.standard_state == StandardState.DRAFT
    assert standard.balance(tenant.account) == 1
    assert not CreditEntry.objects.filter(reason="spend").exists()


def test_nothing_ticked_is_a_form_error(tenant, client_for, make_standard, grant):
    grant(1)
    make_standard("A")
    response = client_for(tenant.marketer).post(CALCULATE, {})
    assert response.status_code == 400
    assert "Pick at least one draft" in " ".join(response.context["form"].errors["audiences"])


def test_another_accounts_draft_cannot_be_calculated_from_here(tenant, other_tenant, client_for, make_standard, grant):
    grant(5)
    theirs = make_standard("Theirs", tenant_=other_tenant)
    response = client_for(tenant.marketer).post(CALCULATE, {"audiences": [theirs.pk]})
    assert response.status_code == 400
    theirs.refresh_from_db()
    assert theirs.standard_state == StandardState.DRAFT
    assert standard.balance(tenant.account) == 5
    assert "Theirs" not in client_for(tenant.marketer).get(CALCULATE).content.decode()


def test_support_staff_see_the_dialog_but_cannot_start(tenant, client_for, make_standard, grant):
    grant(5)
    a = make_standard("A")
    client = client_for(tenant.support)
    assert "Start Calculation" not in client.get(CALCULATE).content.decode()
    assert client.post(CALCULATE, {"audiences": [a.pk]}).status_code == 403
    assert standard.balance(tenant.account) == 5


def test_with_no_draft_the_dialog_says_how_to_get_one(tenant, client_for):
    body = client_for(tenant.marketer).get(CALCULATE).content.decode()
    assert "No draft standard audience to calculate" in body


def test_a_draft_without_criteria_is_named_in_the_refusal(tenant, client_for, make_standard, grant):
    grant(5)
    empty = make_standard("Not defined yet", definition=None)
    client = client_for(tenant.marketer)
    assert "no criteria yet" in client.get(CALCULATE).content.decode()
    response = client.post(CALCULATE, {"audiences": [empty.pk]}, headers=HTMX)
    assert "Not defined yet cannot be calculated" in " ".join(response.context["form"].errors["audiences"])
    assert standard.balance(tenant.account) == 5

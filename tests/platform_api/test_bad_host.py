"""A request Django refuses before any view (a Host it does not serve) still gets the APIs'
JSON error shape, naming the header; pages keep Django's own 400 page."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/platform/v1/workspaces", "/v2/events"])
def test_an_api_request_for_a_host_we_do_not_serve_is_a_json_400(path):
    answer = Client().get(path, HTTP_HOST="bad host!")

    assert answer.status_code == 400
    assert answer.json() == {"errors": [{"path": "Host", "message": "this server does not answer for that host name"}]}


def test_a_page_for_a_host_we_do_not_serve_is_a_400_page():
    answer = Client().get("/audiences/real-time/", HTTP_HOST="evil.example")

    assert answer.status_code == 400
    assert answer["Content-Type"].startswith("text/html")

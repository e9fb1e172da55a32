"""GET /v1/public/certificates/{number} and /v1/public/log/roots: fetched over HTTP, checked
offline with nothing but the pure verify_inclusion."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine

from game.transparency.domain import verify_inclusion
from game.transparency.services import publish_roots
from tests.conftest import NOW
from tests.factories.forest import ProjectFactory
from tests.factories.transparency import pending_order

DAY = timedelta(days=1)
EVIDENCE = {"planted_at": (NOW - 2 * DAY).isoformat(), "latitude": 40.1, "longitude": 105.2,
            "plot": "B-3", "photo_urls": ["https://example.org/1.jpg"], "note": ""}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def plant_and_confirm(session, uow, signed, planter, quantity=3) -> list[str]:
    project = ProjectFactory(partner=None, partner_id=planter.id, energy_cost_g=100, budget=50)
    order, _ = pending_order(session, uow, quantity, project=project)
    resp = signed(planter, "POST", f"/v1/partner/plantings/{order.id}/confirm", EVIDENCE)
    assert resp.status_code == 200, resp.get_json()
    return sorted(resp.get_json()["certificates"])


def assert_problem(resp, status, words):
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == status and words in body["detail"]


def test_a_certificate_fetched_over_http_verifies_offline_against_the_published_root(
        client, session, uow, signed, planter):
    numbers = plant_and_confirm(session, uow, signed, planter, quantity=3)
    publish_roots(uow, NOW + DAY)
    roots = client.get("/v1/public/log/roots").get_json()["items"]
    for number in numbers:
        resp = client.get(f"/v1/public/certificates/{number}")
        assert resp.status_code == 200
        body = json.loads(resp.data)  # as a client would parse it, with no Canopy code
        assert body["status"] == "published" and body["record"]["ref"] == number
        assert body["root"] == roots[0] and body["proof"]["leaf_count"] == body["root"]["count"]
        assert verify_inclusion(body["record"], body["proof"], body["root"]["root"])
        forged = {**body["record"], "payload": {**body["record"]["payload"], "partner": None}}
        assert not verify_inclusion(forged, body["proof"], body["root"]["root"])


def test_a_certificate_of_today_is_pending_until_its_day_is_published(
        client, session, uow, signed, planter):
    (number,) = plant_and_confirm(session, uow, signed, planter, quantity=1)
    body = client.get(f"/v1/public/certificates/{number}").get_json()
    assert (body["status"], body["proof"], body["root"]) == ("pending", None, None)
    assert body["record"]["payload"]["evidence"]["plot"] == "B-3" and len(body["hash"]) == 64


@pytest.mark.parametrize("number", ["CNP-2026-999999", "%00", "x" * 300, "%E6%A2%AD",
                                    "%F0%9F%8C%B3", "CNP%0A1"])
def test_an_unknown_certificate_is_a_404_problem(client, number):
    assert_problem(client.get(f"/v1/public/certificates/{number}"), 404,
                   "is in the public log")


def test_roots_are_listed_oldest_first_in_pages(client, session, uow, signed, planter, frozen):
    plant_and_confirm(session, uow, signed, planter, quantity=1)
    frozen.move_to(NOW + DAY)
    plant_and_confirm(session, uow, signed, planter, quantity=2)
    publish_roots(uow, NOW + 2 * DAY)
    first = client.get("/v1/public/log/roots?limit=1").get_json()
    assert [r["count"] for r in first["items"]] == [1] and first["next_cursor"]
    second = client.get(f"/v1/public/log/roots?limit=1&cursor={first['next_cursor']}").get_json()
    assert [(r["log_date"], r["count"], r["first_seq"]) for r in second["items"]] == [
        ((NOW + DAY).date().isoformat(), 2, 2)]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "cursor=abc",
                                   "cursor=%00"])
def test_bad_paging_of_roots_is_a_422_problem(client, query):
    assert_problem(client.get(f"/v1/public/log/roots?{query}"), 422, "")


def test_the_public_log_is_in_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "404" in paths["/v1/public/certificates/{number}"]["get"]["responses"]
    assert "/v1/public/log/roots" in paths


def test_a_donation_record_fetched_over_http_verifies_offline(client, session, uow):
    from game.farm.models import CharityProject
    from game.farm.services.donation_records import confirm_record
    from tests.factories.transparency import DonationRecordFactory

    record = DonationRecordFactory()
    confirm_record(uow, session.get(CharityProject, record.project_id).partner_id, record.id,
                   "BANK-5", NOW)
    assert client.get(f"/v1/public/donation-records/{record.id}").get_json()["status"] == "pending"
    publish_roots(uow, NOW + DAY)
    body = json.loads(client.get(f"/v1/public/donation-records/{record.id}").data)
    assert body["id"] == record.id and body["status"] == "published"
    assert verify_inclusion(body["record"], body["proof"], body["root"]["root"])


@pytest.mark.parametrize("path", ["999999", "0", "-1", "abc", "9" * 40, "%00"])
def test_an_unknown_donation_record_is_a_404_problem(client, path):
    resp = client.get(f"/v1/public/donation-records/{path}")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"

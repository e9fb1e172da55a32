"""Duty certificates in the public log: GET /v1/public/certificates/DUTY-... serves the duty
certificate with the tree certificates exchanged for it and its inclusion proof, and
`flask log backfill` logs the ones exchanged before they were logged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import delete

from game.forest.services import certificates, decisions, plantings
from game.transparency.domain import DUTY_CERTIFICATE_ISSUED, verify_inclusion
from game.transparency.models import PublicLogEntry
from game.transparency.services import publish_roots, verify_chain
from tests.conftest import NOW
from tests.factories import UserFactory
from tests.factories.forest import ProjectFactory, give_energy
from tests.factories.transparency import EVIDENCE

DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def a_duty_certificate(session, uow) -> dict:
    user = UserFactory()
    project = ProjectFactory(energy_cost_g=10)
    give_energy(session, user.id, 30)
    order = plantings.plant(uow, user.id, project.id, 3, NOW)
    decisions.confirm(uow, project.partner_id, order.id, EVIDENCE, NOW)
    return certificates.exchange_for_duty(uow, user.id, 2026, NOW)


def test_a_duty_certificate_fetched_over_http_verifies_offline(client, session, uow):
    duty = a_duty_certificate(session, uow)
    pending = client.get(f"/v1/public/certificates/{duty['number']}").get_json()
    assert (pending["status"], pending["proof"]) == ("pending", None)
    publish_roots(uow, NOW + DAY)
    body = json.loads(client.get(f"/v1/public/certificates/{duty['number']}").data)
    assert body["number"] == duty["number"] and body["status"] == "published"
    assert body["record"]["kind"] == DUTY_CERTIFICATE_ISSUED
    payload = body["record"]["payload"]
    assert payload["exchanged"] == duty["exchanged"] and len(payload["exchanged"]) == 3
    assert payload["certificate"] == {"number": duty["number"], "kind": "duty", "quantity": 3,
                                      "year": 2026, "issued_at": "2026-03-10T04:00:00.000000Z"}
    assert verify_inclusion(body["record"], body["proof"], body["root"]["root"])
    for number in payload["exchanged"]:  # each tree is traceable on its own page
        tree = client.get(f"/v1/public/certificates/{number}").get_json()
        assert tree["status"] == "published" and tree["record"]["payload"]["evidence"]


@pytest.mark.parametrize("number", ["DUTY-2026-000999", "DUTY-", "DUTY-%00"])
def test_an_unknown_duty_certificate_is_a_404_problem(client, number):
    resp = client.get(f"/v1/public/certificates/{number}")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "log_record_not_found"


def test_backfill_logs_the_duty_certificates_exchanged_before_once(app, client, session, uow):
    duty = a_duty_certificate(session, uow)
    session.execute(delete(PublicLogEntry).where(PublicLogEntry.ref == duty["number"]))
    assert client.get(f"/v1/public/certificates/{duty['number']}").status_code == 404
    cli = app.test_cli_runner()
    first, again = (cli.invoke(args=["log", "backfill"]) for _ in range(2))
    assert (first.output, again.output) == ("1 duty certificate logged\n",
                                            "0 duty certificates logged\n")
    assert client.get(f"/v1/public/certificates/{duty['number']}").status_code == 200
    assert verify_chain(uow) == []

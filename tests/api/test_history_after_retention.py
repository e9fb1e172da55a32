"""What users and auditors need stays when raw events and ledger months are retired: the
carbon statement (from carbon_days), certificates, and the balances."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from carbon.models import ActivityEvent, LedgerEntry
from carbon.services import retention
from tests.api.test_forest_plantings_api import EVIDENCE, project, rich_user  # noqa: F401
from tests.api.test_me_carbon import carol  # noqa: F401  (a fixture)
from tests.conftest import NOW
from tests.jobs.conftest import count

KEEP = {"RETAIN_EVENTS_DAYS": 30, "RETAIN_LEDGER_MONTHS": 1, "FEED_RETENTION_DAYS": 30,
        "RETAIN_BALLS_DAYS": 60}
A_YEAR_LATER = NOW + timedelta(days=365)


def test_the_statement_answers_the_same_after_its_events_and_ledger_are_retired(
        client, carol, session, uow):  # noqa: F811
    asked = "/v1/me/carbon?from=2026-02-01&to=2026-03-31"
    with time_machine.travel(NOW, tick=False):
        before = client.get(asked, headers=carol).get_json()
        balance = client.get("/v1/me", headers=carol).get_json()
    retention.maintain(lambda: uow, A_YEAR_LATER, KEEP)
    assert (count(session, ActivityEvent), count(session, LedgerEntry)) == (0, 0)
    with time_machine.travel(NOW, tick=False):
        assert client.get(asked, headers=carol).get_json() == before
        assert client.get("/v1/me", headers=carol).get_json() == balance
    assert before["total_co2e_g"] == 62


def test_certificates_stay_after_the_ledger_month_of_their_planting_is_retired(
        client, token, session, signed, planter, project, uow):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        headers = rich_user(client, token, session)
        order = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 1},
                            headers=headers).get_json()
        signed(planter, "POST", f"/v1/partner/plantings/{order['id']}/confirm", EVIDENCE)
        before = client.get("/v1/me/certificates", headers=headers).get_json()["items"]
    retention.maintain(lambda: uow, A_YEAR_LATER, KEEP)
    assert count(session, LedgerEntry) == 0
    with time_machine.travel(NOW, tick=False):
        after = client.get("/v1/me/certificates", headers=headers).get_json()["items"]
    assert [c["number"] for c in after] == ["CNP-2026-000001"] and after == before

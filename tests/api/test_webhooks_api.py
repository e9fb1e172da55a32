"""Webhooks through the API and the CLI: operators register endpoints and see every delivery;
a partner sees only its own deliveries, dead letters included, and asks for redeliveries."""

from __future__ import annotations

import pytest
import time_machine

from carbon.services import outbox
from carbon.services.webhook_sending import DeliverySettings, deliver_due
from tests.conftest import NOW
from tests.webhook_receiver import Receiver

HOOKS, DELIVERIES = "/v1/admin/webhooks", "/v1/admin/webhook-deliveries"
MINE = "/v1/partner/webhook-deliveries"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def register(signed, admin, partner, url="http://127.0.0.1:9/hook",
             types=("planting.ordered",)):
    resp = signed(admin, "POST", HOOKS, {"partner_name": partner.name, "url": url,
                                         "event_types": list(types)})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def tell(session, partner, order_id):
    outbox.record(session, "planting_ordered", NOW, partner_id=partner.id, order_id=order_id,
                  project_id=1, quantity=1, energy_g=100)


def test_operators_register_list_and_remove_endpoints(signed, admin, planter, charity):
    hook = register(signed, admin, planter, types=("planting.ordered", "planting.confirmed"))
    assert hook["event_types"] == ["planting.confirmed", "planting.ordered"]
    register(signed, admin, charity, types=("donation_record.created",))
    listed = signed(admin, "GET", f"{HOOKS}?partner_name={planter.name}").get_json()
    assert [h["id"] for h in listed["items"]] == [hook["id"]]
    assert signed(admin, "DELETE", f"{HOOKS}/{hook['id']}").status_code == 204
    again = signed(admin, "DELETE", f"{HOOKS}/{hook['id']}", ts=NOW.timestamp() + 1)
    assert again.get_json()["code"] == "webhook_endpoint_not_found"
    assert [h["partner_name"] for h in signed(admin, "GET", HOOKS).get_json()["items"]] == \
        [charity.name]


@pytest.mark.parametrize("body, field", [
    ({"partner_name": "nobody", "url": "http://x.org/", "event_types": ["planting.ordered"]},
     "partner_name"),
    ({"partner_name": "green-ngo", "url": "ftp://x.org/", "event_types":
      ["planting.ordered"]}, "url"),
    ({"partner_name": "green-ngo", "url": "http://x.org/", "event_types": ["steal"]},
     "event_types"),
    ({"partner_name": "green-ngo", "url": "http://x.org/", "event_types": []},
     "event_types"),
    ({"partner_name": "green-ngo", "url": "http://u:p@x.org/", "event_types":
      ["planting.ordered"]}, "url"),
])
def test_a_bad_endpoint_is_a_422_naming_the_field(signed, admin, planter, body, field):
    resp = signed(admin, "POST", HOOKS, body)
    assert resp.status_code == 422, resp.get_json()
    assert list(resp.get_json()["errors"]) == [field]


def test_only_operators_register_endpoints(signed, planter):
    resp = signed(planter, "POST", HOOKS, {"partner_name": planter.name, "url": "http://x.org/",
                                           "event_types": ["planting.ordered"]})
    assert resp.status_code == 403


def test_a_partner_lists_its_own_deliveries_and_dead_letters(signed, admin, planter, charity,
                                                            session, uow):
    register(signed, admin, planter)
    register(signed, admin, charity)  # asked for planting.ordered: none are the charity's
    tell(session, planter, 1)
    tell(session, planter, 2)
    items = signed(planter, "GET", MINE).get_json()["items"]
    assert [(i["data"]["order_id"], i["status"], i["attempts"]) for i in items] == [
        (2, "pending", 0), (1, "pending", 0)]
    assert signed(charity, "GET", MINE).get_json()["items"] == []
    assert signed(planter, "GET", f"{MINE}?status=dead").get_json()["items"] == []
    assert len(signed(admin, "GET", f"{DELIVERIES}?status=pending").get_json()["items"]) == 2
    assert signed(planter, "GET", f"{MINE}?status=lost").status_code == 422


def test_a_partner_asks_for_a_redelivery_and_receives_it_again(signed, admin, planter, charity,
                                                              session, uow):
    receiver = Receiver()
    try:
        register(signed, admin, planter, url=receiver.url())
        tell(session, planter, 1)
        settings = DeliverySettings(connect_timeout_s=1, read_timeout_s=1, senders=1)
        deliver_due(lambda: uow, lambda: NOW, settings)
        [item] = signed(planter, "GET", MINE).get_json()["items"]
        assert item["status"] == "delivered" and item["next_attempt_at"] is None
        again = signed(planter, "POST", f"{MINE}/{item['id']}/redeliver")
        assert again.status_code == 200 and again.get_json()["status"] == "pending"
        assert signed(charity, "POST", f"{MINE}/{item['id']}/redeliver").get_json()["code"] \
            == "webhook_delivery_not_found"
        assert signed(planter, "POST", f"{MINE}/999999/redeliver").status_code == 404
        deliver_due(lambda: uow, lambda: NOW, settings)
        assert receiver.event_ids() == [str(item["event_id"])] * 2
    finally:
        receiver.stop()


def test_the_cli_adds_lists_and_removes_endpoints(app, planter):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["partner", "webhook", "add", planter.name,
                                "https://hooks.example.org/canopy", "--events",
                                "planting.ordered,planting.rejected"])
    assert added.exit_code == 0, added.output
    endpoint_id = added.output.split()[1].rstrip(":")
    listed = runner.invoke(args=["partner", "webhook", "list", "--partner", planter.name])
    assert f"{endpoint_id}\t{planter.name}\thttps://hooks.example.org/canopy\t" \
           "planting.ordered,planting.rejected\tfailures=0" in listed.output
    refused = runner.invoke(args=["partner", "webhook", "add", planter.name, "http://x.org/",
                                  "--events", "nope"])
    assert refused.exit_code != 0 and "Unknown event types: nope" in refused.output
    removed = runner.invoke(args=["partner", "webhook", "remove", endpoint_id])
    assert removed.exit_code == 0 and "removed" in removed.output
    assert runner.invoke(args=["partner", "webhook", "list"]).output == ""

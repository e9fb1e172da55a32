"""Idempotency-Key under crashes and duplicates: the key, the planting and the response to
replay commit together, so no key is stuck and no retry plants twice."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import create_app
from api.core.auth import make_token
from carbon.models import IdempotencyKey
from carbon.services.users import get_user
from game.forest.errors import BudgetExhausted
from game.forest.models import PlantingOrder
from game.forest.services import plantings
from tests.factories import UserFactory, bind_factories
from tests.factories.forest import ProjectFactory, give_energy

SECRET = "test-secret-of-at-least-32-bytes!"
KEY = {"Idempotency-Key": "plant-1"}


class Crash(BaseException):
    """A worker dying mid-request: no error handler sees it, no response is sent."""


def orders(session) -> int:
    return session.scalar(select(func.count()).select_from(PlantingOrder))


def keys(session) -> int:
    return session.scalar(select(func.count()).select_from(IdempotencyKey))


@pytest.fixture
def alice(client, token, session):
    headers = token("alice")
    client.get("/v1/me/friends", headers=headers)  # creates the user on first sight
    give_energy(session, get_user(session, "alice").id, 1000)
    return {**headers, **KEY}


@pytest.fixture
def project(session, make_partner):
    return ProjectFactory(partner=None, partner_id=make_partner(("plantings",)).id)


def test_a_crash_after_the_planting_before_its_response_is_stored_leaves_neither(
        client, alice, project, session, monkeypatch):
    real = plantings.plant

    def plant_then_die(*args, **kwargs):
        real(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(plantings, "plant", plant_then_die)
    with pytest.raises(Crash):
        client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 1},
                    headers=alice)
    assert (orders(session), keys(session)) == (0, 0)
    monkeypatch.setattr(plantings, "plant", real)
    retry = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 1},
                        headers=alice)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    again = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 1},
                        headers=alice)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == retry.json
    assert orders(session) == 1


def test_a_refused_request_rolls_back_whatever_its_route_committed(
        client, alice, project, session, monkeypatch):
    real = plantings.plant

    def plant_then_refuse(*args, **kwargs):
        real(*args, **kwargs)
        raise BudgetExhausted("refused after the planting")

    monkeypatch.setattr(plantings, "plant", plant_then_refuse)
    resp = client.post("/v1/me/plantings", json={"project_id": project.id, "quantity": 1},
                       headers=alice)
    assert resp.status_code == 409
    assert (orders(session), keys(session)) == (0, 0)


# --- real processes and real commits -------------------------------------------------------

@pytest.fixture
def committed(engine, committed_uow):
    """alice with 1000 g and an open project, committed; (project id, headers)."""
    with Session(engine) as s:
        bind_factories(s)
        user = UserFactory(external_id="alice")
        project_id = ProjectFactory().id
        give_energy(s, user.id, 1000)
        s.commit()
    headers = {"Authorization": f"Bearer {make_token(SECRET, 'alice')}", **KEY}
    return project_id, headers


@pytest.fixture
def real_app(database_url):
    from config import TestConfig

    app = create_app(TestConfig(database_url))
    yield app
    app.extensions["canopy_engine"].dispose()


KILLED_WORKER = """
import os, signal, sys
from api import create_app
from api.core.auth import make_token
from config import TestConfig
from game.forest.services import plantings

url, when, project_id, secret = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
real = plantings.plant
def die():
    os.kill(os.getpid(), signal.SIGKILL)
def plant(*args, **kwargs):
    if when == "before_the_planting":
        die()
    out = real(*args, **kwargs)
    if when == "after_the_planting":
        die()
    return out
plantings.plant = plant
app = create_app(TestConfig(url))
if when == "after_the_commit":
    app.after_request(lambda resp: die())
headers = {"Authorization": "Bearer " + make_token(secret, "alice"), "Idempotency-Key": "plant-1"}
app.test_client().post("/v1/me/plantings", json={"project_id": project_id, "quantity": 1},
                       headers=headers)
"""


@pytest.mark.parametrize("when, replayed", [
    ("before_the_planting", False), ("after_the_planting", False), ("after_the_commit", True)])
def test_a_worker_killed_mid_request_leaves_no_stuck_key_and_one_planting(
        committed, real_app, database_url, engine, when, replayed):
    project_id, headers = committed
    died = subprocess.run([sys.executable, "-c", KILLED_WORKER, database_url, when,
                           str(project_id), SECRET], timeout=60, capture_output=True)
    assert died.returncode == -9, died.stderr.decode()[-2000:]
    retry = real_app.test_client().post(
        "/v1/me/plantings", json={"project_id": project_id, "quantity": 1}, headers=headers)
    assert retry.status_code == 201, retry.json
    assert (retry.headers.get("Idempotent-Replayed") == "true") == replayed
    with Session(engine) as s:
        assert (orders(s), keys(s)) == (1, 1)


def test_a_duplicate_sent_while_the_first_runs_waits_for_it_and_replays_it(
        committed, real_app, engine, monkeypatch):
    project_id, headers = committed
    real, inside, go = plantings.plant, threading.Event(), threading.Event()

    def slow_plant(*args, **kwargs):
        inside.set()
        go.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(plantings, "plant", slow_plant)
    answers = {}

    def post(name):
        answers[name] = real_app.test_client().post(
            "/v1/me/plantings", json={"project_id": project_id, "quantity": 1}, headers=headers)

    first = threading.Thread(target=post, args=("first",))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=post, args=("second",))
    second.start()
    time.sleep(0.3)  # the second is now waiting on the first's key
    go.set()
    first.join(30)
    second.join(30)
    assert [answers[n].status_code for n in ("first", "second")] == [201, 201]
    assert answers["second"].headers["Idempotent-Replayed"] == "true"
    assert answers["second"].json == answers["first"].json
    with Session(engine) as s:
        assert orders(s) == 1

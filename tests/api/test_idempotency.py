"""Idempotency-Key on user POSTs, through POST /v1/me/steps."""

from __future__ import annotations

import pytest
import time_machine

from carbon.services.catalog import seed_default_methodology
from tests.conftest import NOW

STEPS = "/v1/me/steps"


@pytest.fixture(autouse=True)
def frozen(uow):
    seed_default_methodology(uow, NOW)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def post(client, token):
    def _post(steps, key=None, user="alice"):
        headers = token(user)
        if key is not None:
            headers["Idempotency-Key"] = key
        return client.post(STEPS, json={"date": "2026-03-10", "steps": steps}, headers=headers)

    return _post


def test_the_same_key_and_body_replay_the_first_response(post):
    first = post(5000, key="k1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    assert post(8000).get_json()["steps"] == 8000  # the day moved on meanwhile
    replay = post(5000, key="k1")
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json() == first.get_json() == {"date": "2026-03-10", "steps": 5000}


def test_the_same_key_with_another_body_is_422(post):
    post(5000, key="k1")
    resp = post(6000, key="k1")
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert "another request body" in resp.get_json()["detail"]


def test_a_failed_request_releases_its_key(post):
    assert post(100_001, key="k1").status_code == 422
    assert post(100_001, key="k1").status_code == 422  # judged again, not replayed
    ok = post(7000, key="k1")
    assert ok.status_code == 201 and "Idempotent-Replayed" not in ok.headers


def test_keys_belong_to_one_user(post):
    post(5000, key="shared")
    other = post(6000, key="shared", user="bob")
    assert other.status_code == 201 and other.get_json()["steps"] == 6000


def test_a_key_longer_than_255_characters_is_400(post):
    resp = post(5000, key="k" * 256)
    assert resp.status_code == 400 and "255" in resp.get_json()["detail"]
    assert post(5000, key="k" * 255).status_code == 201

"""Where and how the server listens and stops: CANOPY_HOST, WEB_CONCURRENCY, the graceful
timeout, checked before anything starts."""

from __future__ import annotations

import pytest

from api.server.supervisor import listening_socket
from config import Config


def test_the_server_listens_on_loopback_with_a_graceful_timeout_past_the_statement_timeout():
    config = Config()
    assert (config.HOST, config.WEB_WORKERS, config.GRACEFUL_TIMEOUT_S) == ("127.0.0.1", 2, 45)
    assert config.GRACEFUL_TIMEOUT_S > config.DB_STATEMENT_TIMEOUT_MS / 1000
    assert config.problems() == []


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "::", "::1"])
def test_any_ip_address_may_be_the_host(monkeypatch, host):
    monkeypatch.setenv("CANOPY_HOST", host)
    assert Config().problems() == []


@pytest.mark.parametrize("host", ["localhost", "", "0.0.0.0:8000", "999.1.1.1"])
def test_a_host_that_is_not_an_ip_address_is_refused(monkeypatch, host):
    monkeypatch.setenv("CANOPY_HOST", host)
    assert [p for p in Config().problems() if p.startswith("CANOPY_HOST must be an IP")]


def test_a_graceful_timeout_not_past_the_statement_timeout_is_refused(monkeypatch):
    monkeypatch.setenv("CANOPY_GRACEFUL_TIMEOUT_S", "30")  # the statement timeout: 30,000 ms
    (problem,) = Config().problems()
    assert problem.startswith("CANOPY_GRACEFUL_TIMEOUT_S (30) must be longer than the longest")
    monkeypatch.setenv("CANOPY_DB_STATEMENT_TIMEOUT_MS", "20000")
    assert Config().problems() == []


def test_no_worker_at_all_is_refused(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "0")
    assert Config().problems() == ["WEB_CONCURRENCY must be at least 1."]


def test_the_socket_is_bound_to_the_host_asked_for():
    sock = listening_socket(0, "127.0.0.2")
    try:
        assert sock.getsockname()[0] == "127.0.0.2"
    finally:
        sock.close()


def test_a_worker_hides_what_it_built_at_startup_from_the_collector():
    import gc

    from api.server.worker import settle_heap

    gc.unfreeze()
    try:
        settle_heap()
        assert gc.get_freeze_count() > 1000  # the imported modules, functions, classes...
        gc.collect()
        assert gc.get_freeze_count() > 1000  # a full collection leaves them frozen
    finally:
        gc.unfreeze()

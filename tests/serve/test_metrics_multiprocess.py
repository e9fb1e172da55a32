"""/metrics of the real server: two worker processes write into one directory and a scrape,
whichever worker answers it, adds them up; a worker's death loses none of its counts."""

from __future__ import annotations

import glob
import http.client
import os
import signal
import subprocess
import sys
import time

import pytest

from db.migrate import upgrade
from tests.metrics_scrape import samples, value
from tests.serve.conftest import ROOT, Server, children, free_port, get

TOKEN = "scraper-token-for-the-serve-test"
REQUESTS = 40


def scrape(port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    assert resp.status == 200, body
    return samples(body)


def livez_count(port: int) -> float:
    return value(scrape(port), "canopy_http_request_duration_seconds_count", route="/livez",
                 method="GET", status="200")


def pids_of(directory, kind: str) -> set[int]:
    return {int(path.rsplit("_", 1)[1][:-3]) for path in glob.glob(f"{directory}/{kind}_*.db")}


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("metrics")
    (directory / "counter_4242.db").write_bytes(b"a previous run's counts")
    return directory


@pytest.fixture(scope="module")
def served(tmp_path_factory, metrics_dir):
    srv = Server(tmp_path_factory.mktemp("metrics-serve"), WEB_CONCURRENCY="2",
                 CANOPY_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
                 CANOPY_RATE_LIMITS="off")
    yield srv
    srv.stop()


def test_a_scrape_adds_up_both_workers_requests(served, metrics_dir):
    assert not (metrics_dir / "counter_4242.db").exists()  # cleaned at start
    for _ in range(REQUESTS):  # one connection each: both workers accept them
        assert get(served.port, "/livez").status == 200
    assert livez_count(served.port) == REQUESTS
    workers = children(served.proc.pid)
    deadline = time.time() + 30  # on a busy machine the second worker may still be importing
    while pids_of(metrics_dir, "gauge_max") != workers and time.time() < deadline:
        time.sleep(0.2)
    assert len(workers) == 2 and pids_of(metrics_dir, "gauge_max") == workers


def test_a_dead_workers_counts_stay_in_the_totals(served, metrics_dir):
    before = livez_count(served.port)
    assert before >= REQUESTS
    victim = min(children(served.proc.pid))
    os.kill(victim, signal.SIGKILL)
    deadline = time.time() + 20
    while time.time() < deadline:
        now = children(served.proc.pid)
        if victim not in now and len(now) == 2:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the killed worker was not replaced")
    time.sleep(1)  # the new worker imports the app before it accepts
    assert livez_count(served.port) == before
    assert get(served.port, "/livez").status == 200
    assert livez_count(served.port) == before + 1


def test_the_public_cannot_read_metrics_from_the_server(served):
    resp = get(served.port, "/metrics")
    assert resp.status == 401 and resp.getheader("Content-Type") == "application/problem+json"


def test_without_a_directory_given_the_server_uses_a_fresh_one_and_removes_it(
        tmp_path, monkeypatch):
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    srv = Server(tmp_path, WEB_CONCURRENCY="1")
    (worker,) = children(srv.proc.pid)
    with open(f"/proc/{worker}/environ", "rb") as f:
        variables = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
    directory = variables[b"PROMETHEUS_MULTIPROC_DIR"].decode()
    assert os.path.basename(directory).startswith("canopy-metrics-")
    assert pids_of(directory, "gauge_max") == {worker}
    srv.stop()
    assert not os.path.exists(directory)


def test_the_schedulers_job_runs_show_on_the_workers_metrics(tmp_path):
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    upgrade(url)
    port = free_port()
    with open(tmp_path / "serve.log", "w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "api.server.supervisor"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
            env=dict(os.environ, DATABASE_URL=url, PORT=str(port), WEB_CONCURRENCY="1",
                     CANOPY_METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "m")))
        try:
            runs = _wait_for_job_runs(port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        # Every job the scheduler starts with has run at least once (a short-interval poll may
        # have run again); the nightly reconcile does not run at start.
        assert set(runs) == set(START_JOBS) and min(runs.values()) >= 1, \
            log.seek(0) or log.read()


START_JOBS = ("settle_due", "expire_due", "publish_log_roots", "purge_idempotency_keys",
              "maintain_partitions", "roll_up_co2e_totals", "settle_requested",
              "deliver_webhooks", "purge_webhook_deliveries")


def _wait_for_job_runs(port: int) -> dict[str, float]:
    """The job runs /metrics shows once the scheduler's start-up runs have ended."""
    deadline, runs = time.time() + 60, {}
    while time.time() < deadline:
        try:
            scraped = scrape(port)
        except OSError:
            time.sleep(0.2)
            continue
        runs = {dict(labels)["job"]: v for (name, labels), v in scraped.items()
                if name == "canopy_job_runs_total"}
        ended = [name for (name, _), v in scraped.items()
                 if name == "canopy_job_last_success_timestamp_seconds" and v > 0]
        if len(ended) >= len(START_JOBS):
            return runs
        time.sleep(0.2)
    return runs

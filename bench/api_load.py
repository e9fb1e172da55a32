"""The 07:00 rush over HTTP: friends' balls, my balls and steals against the server on PostgreSQL.

    .venv/bin/python bench/api_load.py [--rate 300] [--seconds 30] [--users 2000]
    .venv/bin/python bench/api_load.py --paired --history-days 365 [--rounds 3] [--rate 60]

Creates (or recreates) the PostgreSQL database canopy_bench_forest, migrates it, and seeds
`--users` users in Asia/Shanghai, each a friend of the next `--friends` users around a ring,
each with 3 ripe balls whose energy was issued through the ledger. Starts the server `make run`
starts (`python -m api.server.supervisor`: 2 waitress processes, rate limits on as configured) on it and sends an open-loop load of `--rate` requests/s for `--seconds` (after a short
warm-up): 40% GET /v1/friends/{id}/balls, 30% GET /v1/me/balls, 30% POST
/v1/friends/{id}/balls/{ball}/steal. Latency runs from each request's scheduled send time (a late
client counts against us); a request not sent within 10 s of its time is skipped and counted, so
an overloaded server cannot make the run last forever. Before the rush, 300 requests one at a
time give each endpoint's service time without a queue. Prints requests/s, p50/p99 per endpoint,
the errors and, apart, the rule refusals (403/409: already stolen, nothing left); then
`reconcile` of the ledger, and the generator's own CPU during the rush. Before the server starts
it waits until no autovacuum worker is busy in the database (a year of history leaves one
vacuuming for a minute or more; the 07:00 rush comes hours after the nightly jobs).

`--paired --history-days N` measures a new deployment against one with N nights of play in
one run: two databases seeded alike (canopy_bench_forest and canopy_bench_forest_year), a
server on each, and `--rounds` rounds in which each side gets the same requests in turn (the
order swapped every round); it prints each round and then the year / new ratios of the
server's CPU per request and of each endpoint's p50 and p99 over all rounds. Runs one after
the other drift with a shared machine's speed by more than the 1.2× being checked.

The generator is one asyncio event loop in one thread, so that it takes as little as possible of
the CPU the server under test shares. A chain of loop timers starts request i at start + i/rate:
a non-blocking socket connects, sends a hand-built HTTP/1.1 request (Connection: close, one
connection per request as a crowd of phones would open) and is read to EOF for its status line, all from the
loop's reader and writer callbacks, with no task or future per request. SO_RCVLOWAT makes the
socket readable only once the server has closed it, so a request costs two wake-ups (its send
time, its answer) and ~2 loop iterations. (asyncio.open_connection's streams cost as much CPU as
the old pool of threads; coroutines on loop.sock_* more than these callbacks.) The loop waits with
select(), whose timeout is in microseconds: epoll's, in whole milliseconds rounded up, would make
each send up to 1 ms late. At most `--clients` requests are in flight, so an overloaded server
cannot make us open thousands of sockets; the others wait in order and still count from their
scheduled time. Each request has 30 s once sent; a connection error or timeout counts as -1.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import os
import random
import resource
import selectors
import socket
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import psycopg
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from common import (  # noqa: E402
    free_port,
    fresh_database,
    monthly_partitions,
    start_server,
    tree_cpu_s,
    wait_for_autovacuum,
)
from year_of_play import add_year  # noqa: E402

from api.core.auth import make_token  # noqa: E402
from carbon.ball_ids import settlement_id  # noqa: E402
from carbon.services import ledger  # noqa: E402
from carbon.services.reconcile import reconcile  # noqa: E402
from db import UnitOfWork, make_engine, make_session_factory  # noqa: E402

DB_NAME = "canopy_bench_forest"
SECRET = "bench-forest-secret-of-at-least-32-bytes"
TYPES = ("offline_payment", "metro_ride", "bus_ride")
MIX = (("friend_balls", 40), ("my_balls", 30), ("steal", 30))
REFUSALS = (403, 409)
GIVE_UP_S = 10  # a request still unsent 10 s after its time is skipped: the run stays bounded
SKIPPED = -2
TIMEOUT_S = 30  # per request, from its send (not from its scheduled time)
LOG = Path(tempfile.gettempdir()) / "canopy-bench-forest-server.log"


def seed(url: str, users: int, friends: int, now: datetime) -> dict[int, list[int]]:
    """Users, ring friendships and 3 ripe balls each; returns {user index: [ball ids]}."""
    rng = random.Random(3)
    with psycopg.connect(url) as conn:
        with conn.cursor().copy("COPY users (external_id, timezone, co2e_total_g, created_at) "
                                "FROM STDIN") as cp:
            for i in range(users):
                cp.write_row((f"u-{i}", "Asia/Shanghai", 0, now))
        # Their external ids claimed, as services.users.create_users claims them (on Citus
        # user_external_ids is the only unique key of an external id).
        conn.execute("INSERT INTO user_external_ids (external_id, user_id) "
                     "SELECT external_id, id FROM users")
        ids = [r[0] for r in conn.execute("SELECT id FROM users ORDER BY id")]
        with conn.cursor().copy("COPY friendships (low_user_id, high_user_id, low_asked_at, "
                                "high_asked_at, since) FROM STDIN") as cp:
            for i in range(users):
                for k in range(1, friends + 1):
                    a, b = sorted((ids[i], ids[(i + k) % users]))
                    cp.write_row((a, b, now, now, now))
        balls = _seed_balls(conn, ids, rng, now)
        conn.commit()
    _issue_in_ledger(url, sum(g for _, _, g in balls), now)
    by_user: dict[int, list[int]] = {}
    for ball_id, user_index, _ in balls:
        by_user.setdefault(user_index, []).append(ball_id)
    return by_user


def _seed_balls(conn, ids: list[int], rng: random.Random, now: datetime):
    ripe, day = now - timedelta(hours=1), (now - timedelta(days=1)).date()
    # Ids as settlement makes them (carbon/ball_ids.py): the date, the user, the type's rank.
    with conn.cursor().copy(
            "COPY balls (id, user_id, kind, activity_type, local_date, co2e_g, energy_g,"
            " remaining_g, stolen_g, collected_g, stealable, status, ripe_at, expires_at,"
            " created_at) FROM STDIN") as cp:
        for uid in ids:
            for rank, kind in enumerate(TYPES):
                g = rng.randrange(50, 300)
                cp.write_row((settlement_id(day, uid, rank), uid, "settlement", kind, day, g, g,
                              g, 0, 0, True, "open", ripe, ripe + timedelta(hours=72), now))
    index = {uid: i for i, uid in enumerate(ids)}
    rows = conn.execute("SELECT id, user_id, energy_g FROM balls ORDER BY id").fetchall()
    return [(ball_id, index[uid], g) for ball_id, uid, g in rows]


def _issue_in_ledger(url: str, total: int, now: datetime) -> None:
    """The seeded balls' energy, issued -> balls, as settlement would have moved it."""
    engine = make_engine(url)
    uow = UnitOfWork(make_session_factory(engine))
    with uow:
        s = uow.session
        ledger.transfer(s, "issue", "bench_seed", "forest", ledger.account(s, ledger.ISSUED),
                        ledger.account(s, ledger.BALLS), total, now)
        uow.commit()
    engine.dispose()


class Exchange:
    """One request on a connection of its own, driven by the event loop's callbacks; `done` gets
    the response's status once it is read to EOF, or -1 (refused, reset, timeout, no answer)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, port: int, request: bytes,
                 done: Callable[[int], None]):
        self.loop, self.request, self.done, self.head = loop, request, done, b""
        self.sock: socket.socket | None = None
        self.timer = loop.call_later(TIMEOUT_S, self.finish, -1)
        try:
            self.sock = socket.socket()
            self.sock.setblocking(False)
            # Readable only once the whole answer is in (EOF comes first: 1 MiB is far more than
            # any answer here), not for the headers, then the body, then EOF: one wake-up.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1 << 20)
            # On loopback the handshake is over when connect returns, so the request goes at
            # once; if not, send says EAGAIN and the writer callback sends it when connected.
            code = self.sock.connect_ex(("127.0.0.1", port))
        except OSError:
            code = -1
        if code in (0, errno.EINPROGRESS):
            self.write()
        else:
            self.finish(-1)

    def write(self) -> None:
        try:
            self.request = self.request[self.sock.send(self.request):]
        except BlockingIOError:
            pass
        except OSError:  # refused
            return self.finish(-1)
        if self.request:
            self.loop.add_writer(self.sock.fileno(), self.write)
        else:
            self.loop.remove_writer(self.sock.fileno())
            self.loop.add_reader(self.sock.fileno(), self.read)

    def read(self) -> None:
        try:
            while chunk := self.sock.recv(65536):
                if b"\n" not in self.head:
                    self.head += chunk
        except BlockingIOError:
            return
        except OSError:
            return self.finish(-1)
        try:
            self.finish(int(self.head.split(None, 2)[1]))  # "HTTP/1.1 200 OK"
        except (ValueError, IndexError):  # closed without a status line
            self.finish(-1)

    def finish(self, status: int) -> None:
        if self.done is None:
            return
        self.timer.cancel()
        if self.sock is not None:
            self.loop.remove_reader(self.sock.fileno())
            self.loop.remove_writer(self.sock.fileno())
            self.sock.close()
        done, self.done = self.done, None
        done(status)


class Slots:
    """A semaphore for callbacks: `run` starts at once while fewer than `size` are in flight,
    else when a `release` comes, in order."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int):
        self.loop, self.free, self.waiting = loop, size, deque()

    def run(self, start: Callable, *args) -> None:
        if self.free:
            self.free -= 1
            start(*args)
        else:
            self.waiting.append((start, args))

    def release(self) -> None:
        if self.waiting:
            start, args = self.waiting.popleft()
            self.loop.call_soon(start, *args)  # not from here: no recursion if it fails at once
        else:
            self.free += 1


class Load:
    """Open-loop request schedule on an asyncio event loop, results per endpoint."""

    def __init__(self, port: int, users: int, friends: int, balls: dict[int, list[int]]):
        self.port, self.users, self.friends, self.balls = port, users, friends, balls
        self.tokens = [make_token(SECRET, f"u-{i}", None, 2) for i in range(users)]
        self.results: dict[str, list[tuple[int, float]]] = {k: [] for k, _ in MIX}
        # (kind, status, the answer's first bytes) of each error: what went wrong, not only
        # how often.
        self.failures: list[tuple[str, int, bytes]] = []

    def request_for(self, rng: random.Random) -> tuple[str, str, str, int]:
        kind = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX])[0]
        me = rng.randrange(self.users)
        friend = (me + rng.randrange(1, self.friends + 1)) % self.users
        if kind == "my_balls":
            return kind, "GET", "/v1/me/balls", me
        if kind == "friend_balls":
            return kind, "GET", f"/v1/friends/u-{friend}/balls", me
        ball = rng.choice(self.balls[friend])
        return kind, "POST", f"/v1/friends/u-{friend}/balls/{ball}/steal", me

    def http_request(self, method: str, path: str, me: int) -> bytes:
        """The bytes http.client would send: Host, identity encoding, the bearer token."""
        length = "Content-Length: 0\r\n" if method == "POST" else ""
        return (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Accept-Encoding: identity\r\nAuthorization: Bearer {self.tokens[me]}\r\n"
                f"{length}Connection: close\r\n\r\n").encode()

    def send(self, loop: asyncio.AbstractEventLoop, kind: str, method: str, path: str, me: int,
             scheduled: float, finished: Callable[[], None]) -> None:
        """Sends the request unless it is too late, records it under `kind`, then `finished`."""
        if time.perf_counter() - scheduled > GIVE_UP_S:
            self.results[kind].append((SKIPPED, 0.0))
            return finished()

        exchange: list[Exchange] = []  # empty if it fails inside its constructor

        def done(status: int) -> None:
            self.results[kind].append((status, time.perf_counter() - scheduled))
            if not (200 <= status < 300 or status in REFUSALS):
                self.failures.append((kind, status, exchange[0].head[:2000] if exchange else b""))
            finished()

        exchange.append(Exchange(loop, self.port, self.http_request(method, path, me), done))

    def run_sequential(self, count: int, seed: int) -> None:
        """One request at a time: each endpoint's service time without any queue."""
        async def sequential() -> None:
            loop, rng = asyncio.get_running_loop(), random.Random(seed)
            for _ in range(count):
                answered = loop.create_future()
                self.send(loop, *self.request_for(rng), time.perf_counter(),
                          partial(answered.set_result, None))
                await answered

        run_loop(sequential())

    def run(self, rate: int, seconds: float, seed: int, clients: int) -> float:
        """Request i starts at start + i/rate whatever the server's state; the rush's seconds."""
        async def rush() -> float:
            loop = asyncio.get_running_loop()
            rng, total = random.Random(seed), int(rate * seconds)
            slots, all_done, left = Slots(loop, clients), loop.create_future(), total

            def finished() -> None:
                nonlocal left
                slots.release()
                left -= 1
                if not left:
                    all_done.set_result(None)

            start = time.perf_counter() + 0.2
            to_loop_time = loop.time() - time.perf_counter()

            def tick(i: int) -> None:  # request i at its time, then the timer for the next one
                slots.run(self.send, loop, *self.request_for(rng), start + i / rate, finished)
                if i + 1 < total:
                    loop.call_at(start + (i + 1) / rate + to_loop_time, tick, i + 1)

            if total:
                loop.call_at(start + to_loop_time, tick, 0)
                await all_done
            return time.perf_counter() - start

        # The app's modules, imported here for seeding, leave ~100k objects the collector would
        # walk in every full collection: milliseconds when the loop sends and reads nothing.
        gc.collect()
        gc.freeze()
        try:
            return run_loop(rush())
        finally:
            gc.unfreeze()


def run_loop(main):
    """asyncio.run on select(): microsecond timeouts, so sends leave on time (fds below 1024)."""
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(
            selectors.SelectSelector())) as runner:
        return runner.run(main)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def report(load: Load, elapsed: float | None, label: str) -> None:
    everything = [r for rs in load.results.values() for r in rs if r[0] != SKIPPED]
    if elapsed is not None:
        print(f"{label}: requests={len(everything)} seconds={elapsed:.1f} "
              f"requests_per_s={len(everything) / elapsed:.0f}")
    for kind, rows in load.results.items():
        ok = [t for s, t in rows if 200 <= s < 300]
        refused = sum(1 for s, _ in rows if s in REFUSALS)
        skipped = sum(1 for s, _ in rows if s == SKIPPED)
        errors = sum(1 for s, _ in rows if not (200 <= s < 300 or s in REFUSALS or s == SKIPPED))
        times = [t for s, t in rows if s != SKIPPED] or [0.0]
        print(f"{label} {kind}: n={len(rows)} ok={len(ok)} refused={refused} errors={errors} "
              f"skipped_unsent={skipped} "
              f"p50_ms={percentile(times, 50):.1f} p99_ms={percentile(times, 99):.1f} "
              f"max_ms={max(times) * 1000:.1f}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--friends", type=int, default=10, help="friends ahead on the ring")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--compare", default="",
                        help="run the server from this other checkout instead (a before build)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per worker process (default: CANOPY_WEB_THREADS, 4)")
    parser.add_argument("--history-days", type=int, default=0,
                        help="first build this many nights of play (bench/year_of_play.py)")
    parser.add_argument("--without-outbox", action="store_true",
                        help="the same build with outbox.record left out (bench/without_outbox)")
    parser.add_argument("--clients", type=int, default=64,
                        help="requests in flight at most (open connections)")
    parser.add_argument("--paired", action="store_true",
                        help="with --history-days: a new deployment and the one with history "
                             "side by side, a server each, measured in alternating rounds")
    parser.add_argument("--rounds", type=int, default=3,
                        help="--paired: rounds (each one rush on each database, in turns)")
    args = parser.parse_args()
    if not 1 <= args.clients <= 900:
        parser.error("--clients: 1 to 900 (select() takes file descriptors below 1024)")
    if args.paired and (not args.history_days or args.compare or args.without_outbox):
        parser.error("--paired needs --history-days and takes neither --compare nor "
                     "--without-outbox")
    return args


def prepare(name: str, args: argparse.Namespace, now: datetime,
            days: int) -> tuple[str, dict[int, list[int]]]:
    """The database `name` recreated and seeded, with `days` nights of play if any, once no
    autovacuum worker is busy in it; its url and the seeded balls."""
    url = fresh_database(name)
    monthly_partitions(url, (now - timedelta(days=1)).date(), now.date())
    balls = seed(url, args.users, args.friends, now)
    if days:
        built = add_year(url, now.date(), days)
        print(f"# built {days} nights of history in {built:.0f} s", flush=True)
    waited = wait_for_autovacuum(url)
    print(f"# waited {waited:.0f} s for autovacuum to finish in {url.rsplit('/', 1)[-1]}",
          flush=True)
    return url, balls


def main() -> int:
    args = parse_args()
    if args.paired:
        return paired(args)
    load_before = os.getloadavg()[0]
    url, balls = prepare(DB_NAME, args, datetime.now(UTC), args.history_days)
    port = free_port()
    env = {"CANOPY_JWT_SECRET": SECRET}
    if args.without_outbox:  # its sitecustomize replaces outbox.record in every server process
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "bench" / "without_outbox"), str(ROOT)])
    server = start_server(url, port, args.workers, args.threads, log_path=LOG, extra_env=env,
                          root=Path(args.compare) if args.compare else ROOT)
    try:
        Load(port, args.users, args.friends, balls).run_sequential(100, 98)  # warm-up
        alone = Load(port, args.users, args.friends, balls)
        alone.run_sequential(300, 99)
        load = Load(port, args.users, args.friends, balls)
        before = resource.getrusage(resource.RUSAGE_SELF)
        server_before = tree_cpu_s(server.pid)
        elapsed = load.run(args.rate, args.seconds, 1, args.clients)
        server_cpu = tree_cpu_s(server.pid) - server_before
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        server.terminate()
        server.wait(timeout=120)  # a loaded machine stops slowly
    # Other processes share these cores: the load average says how quiet the machine was.
    print(f"build={'compare' if args.compare else 'this'} "
          f"outbox={'left_out' if args.without_outbox else 'written'} "
          f"history_days={args.history_days} "
          f"loadavg_1min_before={load_before:.2f} loadavg_1min_after={os.getloadavg()[0]:.2f} "
          f"cpus={os.cpu_count()} workers={args.workers} threads={args.threads} users={args.users} "
          f"target_rate={args.rate}")
    report(alone, None, "one_at_a_time")
    report(load, elapsed, "rush")
    engine = make_engine(url)
    problems = reconcile(UnitOfWork(make_session_factory(engine)))
    with engine.connect() as conn:  # proves which build ran: no rows when left out
        stolen = conn.execute(text("SELECT count(*) FROM outbox_events "
                                   "WHERE type = 'energy_stolen'")).scalar_one()
    print(f"outbox_energy_stolen_rows={stolen}")
    engine.dispose()
    print("reconcile=ok" if not problems else f"reconcile_problems={problems[:5]}")
    # This process only (the server is a child, not counted): what the generator took from the
    # cores it shares with the server under test.
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    scheduled = sum(len(rows) for rows in load.results.values())
    print(f"loadgen_cpu_s={cpu:.2f} loadgen_cpu_per_request_ms={cpu / max(scheduled, 1) * 1000:.3f}")
    # The server's processes (not PostgreSQL's): a figure the machine's other load disturbs
    # far less than latency.
    answered = sum(1 for rows in load.results.values() for status, _ in rows if status != SKIPPED)
    print(f"server_cpu_s={server_cpu:.2f} "
          f"server_cpu_per_answered_request_ms={server_cpu / max(answered, 1) * 1000:.3f}")
    return 0 if not problems else 1


def paired(args: argparse.Namespace) -> int:
    """A new deployment and one with `--history-days` of play, both seeded alike (the same
    users, friendships and ripe balls), each served by its own server; every round runs the
    one-at-a-time requests and the rush on one, then on the other, the order swapped every
    round (new, year; year, new; ...), each round with its own request sequence, the same on
    both. A machine whose speed drifts over minutes then moves both sides alike, and the
    year / new ratios (server CPU per request, p50 and p99 per endpoint, over all rounds) are
    measured in one run, as issue 10 asks."""
    now = datetime.now(UTC)
    sides: dict[str, dict] = {}
    for label, days in (("new", 0), ("year", args.history_days)):
        url, balls = prepare(DB_NAME + ("_year" if days else ""), args, now, days)
        sides[label] = {"url": url, "balls": balls, "cpu": 0.0, "answered": 0,
                        "alone": {k: [] for k, _ in MIX}, "rush": {k: [] for k, _ in MIX}}
    env = {"CANOPY_JWT_SECRET": SECRET}
    for label, side in sides.items():
        side["port"] = free_port()
        side["server"] = start_server(side["url"], side["port"], args.workers, args.threads,
                                      log_path=LOG.with_suffix(f".{label}.log"), extra_env=env)
    try:
        for side in sides.values():  # warm-up, not counted
            Load(side["port"], args.users, args.friends, side["balls"]).run_sequential(100, 98)
        for round_no in range(args.rounds):
            order = list(sides) if round_no % 2 == 0 else list(sides)[::-1]
            for label in order:
                _paired_round(sides[label], label, round_no, args)
    finally:
        for side in sides.values():
            side["server"].terminate()
        for side in sides.values():
            side["server"].wait(timeout=120)
    problems = 0
    for label, side in sides.items():
        engine = make_engine(side["url"])
        found = reconcile(UnitOfWork(make_session_factory(engine)))
        engine.dispose()
        problems += len(found)
        print(f"{label} reconcile=" + ("ok" if not found else f"problems {found[:5]}"))
    new, year = sides["new"], sides["year"]
    cpu = {k: v["cpu"] / max(v["answered"], 1) * 1000 for k, v in sides.items()}
    print(f"all rounds: server_cpu_per_answered_request_ms new={cpu['new']:.3f} "
          f"year={cpu['year']:.3f} ratio={cpu['year'] / cpu['new']:.2f}")
    for phase in ("alone", "rush"):
        for kind, _ in MIX:
            a, b = new[phase][kind], year[phase][kind]
            if not a or not b:
                continue
            p50 = percentile(b, 50) / percentile(a, 50)
            p99 = percentile(b, 99) / percentile(a, 99)
            print(f"all rounds {phase} {kind}: new p50_ms={percentile(a, 50):.1f} "
                  f"p99_ms={percentile(a, 99):.1f} year p50_ms={percentile(b, 50):.1f} "
                  f"p99_ms={percentile(b, 99):.1f} ratio_p50={p50:.2f} ratio_p99={p99:.2f}")
    return 0 if not problems else 1


def _paired_round(side: dict, label: str, round_no: int, args: argparse.Namespace) -> None:
    """One round on one side: 100 requests one at a time, then the rush; both printed, and
    kept in `side` for the totals. Seeds by round: both sides get the same requests."""
    alone = Load(side["port"], args.users, args.friends, side["balls"])
    alone.run_sequential(100, 1000 + round_no)
    load = Load(side["port"], args.users, args.friends, side["balls"])
    cpu_before = tree_cpu_s(side["server"].pid)
    elapsed = load.run(args.rate, args.seconds, 2000 + round_no, args.clients)
    cpu = tree_cpu_s(side["server"].pid) - cpu_before
    answered = sum(1 for rows in load.results.values() for status, _ in rows if status != SKIPPED)
    side["cpu"] += cpu
    side["answered"] += answered
    for phase, run in (("alone", alone), ("rush", load)):
        for kind, rows in run.results.items():
            side[phase][kind].extend(t for status, t in rows if status != SKIPPED)
    tag = f"round={round_no + 1} {label}"
    print(f"{tag} loadavg_1min={os.getloadavg()[0]:.2f} "
          f"server_cpu_per_answered_request_ms={cpu / max(answered, 1) * 1000:.3f}")
    report(alone, None, f"{tag} one_at_a_time")
    report(load, elapsed, f"{tag} rush")


if __name__ == "__main__":
    sys.exit(main())

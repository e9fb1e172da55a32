"""Configuration read from the environment (standard library only)."""

from __future__ import annotations

import ast
import ipaddress
import os
import re
import sys
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ENVIRONMENTS = ("development", "production")
# Signs development tokens out of the box; a production setting refuses to start with it.
DEFAULT_JWT_SECRET = "dev-secret-change-me-before-production"
MIN_SECRET_BYTES = 32  # HS256's key should be at least as long as its 256-bit output
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("auto", "console", "json")


# Read outside this module: the test suite's database.
READ_ELSEWHERE = ("CANOPY_TEST_DATABASE_URL",)
SECRET_SETTINGS = ("JWT_SECRET",)
MASK = "****"


class ConfigError(Exception):
    """Settings this environment cannot run with: one line per problem, each naming its
    variable."""

    def __init__(self, lines: str | list[str]) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


@cache
def known_variables() -> frozenset[str]:
    """Every CANOPY_* variable Canopy reads: the names written in this module (read from its
    own source, so a setting added to Config is known without being listed twice)."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    names = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
             and isinstance(node.value, str) and re.fullmatch(r"CANOPY_[A-Z0-9_]+", node.value)}
    return frozenset(names | set(READ_ELSEWHERE))


def unknown_variables(environ=None) -> list[str]:
    """CANOPY_* variables of the environment that no setting reads: typos, or settings gone."""
    environ = os.environ if environ is None else environ
    return sorted(n for n in environ if n.startswith("CANOPY_") and n not in known_variables())


def mask_url(url: str) -> str:
    """`url` with its password (user:password@ or ?password=) replaced by ****."""
    parts = urlsplit(url)
    if parts.password is not None:
        userinfo, host = parts.netloc.rsplit("@", 1)
        url = url.replace(parts.netloc, f"{userinfo.split(':', 1)[0]}:{MASK}@{host}", 1)
    return re.sub(r"([?&]password=)[^&]*", rf"\g<1>{MASK}", url)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {raw!r}.") from None


def _optional(name: str) -> str | None:
    return os.environ.get(name) or None  # set but empty counts as unset


class Config:
    """Settings for a running Canopy; every value can be overridden by the environment."""

    def __init__(self) -> None:
        self.ENV = os.environ.get("CANOPY_ENV", "development")
        self.DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{HERE / 'canopy.db'}")
        self.JWT_SECRET = os.environ.get("CANOPY_JWT_SECRET", DEFAULT_JWT_SECRET)
        # A token's exp may lie at most this far after now (and after its iat, when it has one).
        self.JWT_MAX_LIFETIME_DAYS = _int("CANOPY_JWT_MAX_LIFETIME_DAYS", 30)
        # When set, tokens must carry exactly this iss / an aud naming this audience.
        self.JWT_ISSUER = _optional("CANOPY_JWT_ISSUER")
        self.JWT_AUDIENCE = _optional("CANOPY_JWT_AUDIENCE")
        self.DEFAULT_TIMEZONE = os.environ.get("CANOPY_DEFAULT_TZ", "Asia/Shanghai")
        # Seconds of clock skew a partner signature may have (contract: 300 s).
        self.PARTNER_MAX_SKEW_S = _int("CANOPY_PARTNER_MAX_SKEW_S", 300)
        # Minutes after a zone's local midnight before its day is settled (late events window).
        self.SETTLE_GRACE_MINUTES = _int("CANOPY_SETTLE_GRACE_MINUTES", 30)
        self.SETTLE_BATCH_USERS = _int("CANOPY_SETTLE_BATCH_USERS", 20000)
        # Batches settled at once on PostgreSQL (one connection each); SQLite always uses one.
        self.SETTLE_WORKERS = _int("CANOPY_SETTLE_WORKERS", 2)
        # How often the jobs process looks for operator settlements asked through the API.
        self.SETTLE_REQUEST_POLL_SECONDS = _int("CANOPY_SETTLE_REQUEST_POLL_SECONDS", 5)
        self.SCHEDULER_TICK_MINUTES = _int("CANOPY_SCHEDULER_TICK_MINUTES", 5)
        self.EXPIRE_EVERY_MINUTES = _int("CANOPY_EXPIRE_EVERY_MINUTES", 5)
        self.EVENTS_MAX_BATCH = 1000
        # Idempotency-Key answers are replayed this long, then purged (a retry runs anew).
        self.IDEMPOTENCY_KEY_TTL_HOURS = _int("CANOPY_IDEMPOTENCY_KEY_TTL_HOURS", 24)
        self.PURGE_EVERY_MINUTES = _int("CANOPY_PURGE_EVERY_MINUTES", 60)
        # Days a user's feed (the outbox) keeps a fact before the purge job deletes it.
        self.FEED_RETENTION_DAYS = _int("CANOPY_FEED_RETENTION_DAYS", 90)
        # PostgreSQL: seconds to wait for a connection, and the longest statement of a web
        # request or CLI command (0: no limit); beyond them the API answers 503.
        self.DB_CONNECT_TIMEOUT_S = _int("CANOPY_DB_CONNECT_TIMEOUT_S", 5)
        self.DB_STATEMENT_TIMEOUT_MS = _int("CANOPY_DB_STATEMENT_TIMEOUT_MS", 30000)
        # The scheduler's statements (settlement batches, expiry): none by default, since a
        # timed-out batch would only be tried again, just as long, at the next tick.
        self.JOB_STATEMENT_TIMEOUT_MS = _int("CANOPY_JOB_STATEMENT_TIMEOUT_MS", 0)
        # Bytes a request body may hold, refused with 413 before it is parsed: a user or admin
        # body needs kilobytes; a batch of 1,000 events about a megabyte.
        self.BODY_MAX_BYTES = _int("CANOPY_BODY_MAX_BYTES", 64 * 1024)
        self.EVENTS_BODY_MAX_BYTES = _int("CANOPY_EVENTS_BODY_MAX_BYTES", 2 * 1024 * 1024)
        # Nesting of arrays and objects a JSON body may have (400 beyond it).
        self.JSON_MAX_DEPTH = _int("CANOPY_JSON_MAX_DEPTH", 32)
        # Where `python -m api.server.supervisor` listens: 127.0.0.1 unless told (0.0.0.0 or
        # the host's address behind a load balancer), on PORT.
        self.HOST = os.environ.get("CANOPY_HOST", "127.0.0.1")
        self.PORT = _int("PORT", 8000)
        self.WEB_WORKERS = _int("WEB_CONCURRENCY", 2)
        # On SIGTERM a worker stops accepting and answers what it has read for at most this
        # long, then exits; longer than the longest request (the statement timeout bounds it).
        self.GRACEFUL_TIMEOUT_S = _int("CANOPY_GRACEFUL_TIMEOUT_S", 45)
        # waitress (api/server/worker.py): threads per process, and how long a client may take
        # to send its headers, then its body, or stay idle between requests before it is cut.
        self.WEB_THREADS = _int("CANOPY_WEB_THREADS", 4)
        self.WEB_CONNECTIONS = _int("CANOPY_WEB_CONNECTIONS", 1000)
        self.HEADER_TIMEOUT_S = _int("CANOPY_HEADER_TIMEOUT_S", 10)
        self.BODY_TIMEOUT_S = _int("CANOPY_BODY_TIMEOUT_S", 60)
        self.IDLE_TIMEOUT_S = _int("CANOPY_IDLE_TIMEOUT_S", 30)
        # One log line per request (api/core/request_log.py: id, route, status, duration, caller).
        self.ACCESS_LOG = os.environ.get("CANOPY_ACCESS_LOG", "on").lower() != "off"
        # Logs on stderr (applog): level, and auto (console on a terminal, else JSON) or json.
        self.LOG_LEVEL = os.environ.get("CANOPY_LOG_LEVEL", "INFO").upper()
        self.LOG_FORMAT = os.environ.get("CANOPY_LOG_FORMAT", "auto").lower()
        # Rate limits (api/core/limits.py), in the `limits` notation ("600/minute", "10/second").
        self.RATE_LIMITS = os.environ.get("CANOPY_RATE_LIMITS", "on").lower() != "off"
        self.RATE_LIMIT_USER = os.environ.get("CANOPY_RATE_LIMIT_USER", "600/minute")
        self.RATE_LIMIT_PARTNER = os.environ.get("CANOPY_RATE_LIMIT_PARTNER", "3000/minute")
        self.RATE_LIMIT_PUBLIC = os.environ.get("CANOPY_RATE_LIMIT_PUBLIC", "120/minute")
        # Counters in Redis when set (shared by every process and host), else in each process.
        self.REDIS_URL = os.environ.get("CANOPY_REDIS_URL", "")
        # Addresses or networks of proxies whose X-Forwarded-For is believed (comma separated).
        self.TRUSTED_PROXIES = os.environ.get("CANOPY_TRUSTED_PROXIES", "")
        # GET /metrics answers to `Authorization: Bearer <this>`; unset, /metrics is a 404.
        self.METRICS_TOKEN = _optional("CANOPY_METRICS_TOKEN")
        # Partner webhooks (jobs process): how often due deliveries are sent, how many per
        # round and per endpoint, endpoints served at once, the timeouts of one send, and how
        # long a deliverer's claim lasts (longer than per-endpoint sends x both timeouts).
        self.WEBHOOK_EVERY_SECONDS = _int("CANOPY_WEBHOOK_EVERY_SECONDS", 5)
        self.WEBHOOK_BATCH = _int("CANOPY_WEBHOOK_BATCH", 50)
        self.WEBHOOK_PER_ENDPOINT = _int("CANOPY_WEBHOOK_PER_ENDPOINT", 10)
        self.WEBHOOK_SENDERS = _int("CANOPY_WEBHOOK_SENDERS", 4)
        self.WEBHOOK_CONNECT_TIMEOUT_S = _int("CANOPY_WEBHOOK_CONNECT_TIMEOUT_S", 3)
        self.WEBHOOK_READ_TIMEOUT_S = _int("CANOPY_WEBHOOK_READ_TIMEOUT_S", 10)
        self.WEBHOOK_LEASE_SECONDS = _int("CANOPY_WEBHOOK_LEASE_SECONDS", 300)
        # The UTC hour at which the scheduler reconciles the ledger every night.
        self.RECONCILE_HOUR_UTC = _int("CANOPY_RECONCILE_HOUR_UTC", 3)
        # Data with a life cycle (db/partitions.py): raw activity events (and their duplicate
        # keys) are kept this many days after their local date; ledger entries this many
        # months after their UTC month, and only once the month is checkpointed.
        self.RETAIN_EVENTS_DAYS = _int("CANOPY_RETAIN_EVENTS_DAYS", 90)
        self.RETAIN_LEDGER_MONTHS = _int("CANOPY_RETAIN_LEDGER_MONTHS", 13)
        # Closed balls, their steals and waterings (a month goes once none of its balls is open).
        self.RETAIN_BALLS_DAYS = _int("CANOPY_RETAIN_BALLS_DAYS", 60)
        # The UTC hour of the daily partition maintenance (checkpoints, partitions, retention).
        self.PARTITIONS_HOUR_UTC = _int("CANOPY_PARTITIONS_HOUR_UTC", 2)
        # The outbox's fan-out to RabbitMQ (jobs/stream.py), off unless the URL is set
        # (amqp://user:password@host:5672/vhost): the exchange, how often the jobs process
        # publishes, rows per run, how long an id passed unseen is awaited (a transaction that
        # took it and has not committed), and the broker's connect/confirm timeout.
        self.AMQP_URL = _optional("CANOPY_AMQP_URL")
        self.AMQP_EXCHANGE = os.environ.get("CANOPY_AMQP_EXCHANGE", "canopy.events")
        self.AMQP_PUBLISH_EVERY_SECONDS = _int("CANOPY_AMQP_PUBLISH_EVERY_SECONDS", 2)
        self.AMQP_BATCH = _int("CANOPY_AMQP_BATCH", 500)
        self.AMQP_GAP_WINDOW_SECONDS = _int("CANOPY_AMQP_GAP_WINDOW_SECONDS", 900)
        self.AMQP_TIMEOUT_S = _int("CANOPY_AMQP_TIMEOUT_S", 10)

    def masked(self) -> dict[str, str]:
        """The effective settings by name, secrets and URL passwords replaced by ****."""
        shown = {}
        for name, value in sorted(vars(self).items()):
            if name in SECRET_SETTINGS:
                value = f"{MASK} (the development default)" if value == DEFAULT_JWT_SECRET \
                    else MASK if value else ""
            elif name.endswith("_URL") and isinstance(value, str):
                value = mask_url(value)
            shown[name] = str(value)
        return shown

    @property
    def is_production(self) -> bool:
        return self.ENV == "production"

    def problems(self) -> list[str]:
        """What is wrong with these settings for their environment, one sentence each."""
        found = []
        if self.ENV not in ENVIRONMENTS:
            found.append(f"CANOPY_ENV must be one of {', '.join(ENVIRONMENTS)}, not {self.ENV!r}.")
        if self.JWT_MAX_LIFETIME_DAYS < 1:
            found.append("CANOPY_JWT_MAX_LIFETIME_DAYS must be at least 1.")
        if self.FEED_RETENTION_DAYS < 1:
            found.append("CANOPY_FEED_RETENTION_DAYS must be at least 1.")
        if self.PARTNER_MAX_SKEW_S < 1:
            found.append("CANOPY_PARTNER_MAX_SKEW_S must be at least 1.")
        if self.LOG_LEVEL not in LOG_LEVELS:
            found.append(f"CANOPY_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}.")
        if self.LOG_FORMAT not in LOG_FORMATS:
            found.append(f"CANOPY_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}.")
        if not 0 <= self.RECONCILE_HOUR_UTC <= 23:
            found.append("CANOPY_RECONCILE_HOUR_UTC must be an hour from 0 to 23.")
        if self.METRICS_TOKEN is not None and len(self.METRICS_TOKEN.encode()) < 16:
            found.append("CANOPY_METRICS_TOKEN must be at least 16 bytes long.")
        if self.SETTLE_REQUEST_POLL_SECONDS < 1:
            found.append("CANOPY_SETTLE_REQUEST_POLL_SECONDS must be at least 1.")
        found += self._retention_problems()
        found += self._webhook_problems()
        found += self._server_problems()
        found += self._amqp_problems()
        if self.is_production:
            found += self._production_problems()
        return found

    def _retention_problems(self) -> list[str]:
        found = []
        # Events must outlive the late window (steps up to 7 days back) and their settlement.
        if self.RETAIN_EVENTS_DAYS < 8:
            found.append("CANOPY_RETAIN_EVENTS_DAYS must be at least 8.")
        if self.RETAIN_BALLS_DAYS < 30:
            found.append("CANOPY_RETAIN_BALLS_DAYS must be at least 30.")
        if self.RETAIN_LEDGER_MONTHS < 1:
            found.append("CANOPY_RETAIN_LEDGER_MONTHS must be at least 1.")
        if not 0 <= self.PARTITIONS_HOUR_UTC <= 23:
            found.append("CANOPY_PARTITIONS_HOUR_UTC must be an hour from 0 to 23.")
        return found

    def retention(self) -> dict[str, int]:
        """The retention settings db.partitions' registry names, by attribute."""
        return {"RETAIN_EVENTS_DAYS": self.RETAIN_EVENTS_DAYS,
                "RETAIN_LEDGER_MONTHS": self.RETAIN_LEDGER_MONTHS,
                "RETAIN_BALLS_DAYS": self.RETAIN_BALLS_DAYS,
                "FEED_RETENTION_DAYS": self.FEED_RETENTION_DAYS}

    def _webhook_problems(self) -> list[str]:
        found = [f"CANOPY_WEBHOOK_{name} must be at least 1." for name in (
            "EVERY_SECONDS", "BATCH", "PER_ENDPOINT", "SENDERS", "CONNECT_TIMEOUT_S",
            "READ_TIMEOUT_S") if getattr(self, f"WEBHOOK_{name}") < 1]
        longest = self.WEBHOOK_PER_ENDPOINT * (self.WEBHOOK_CONNECT_TIMEOUT_S
                                               + self.WEBHOOK_READ_TIMEOUT_S)
        if not found and longest >= self.WEBHOOK_LEASE_SECONDS:
            found.append(f"CANOPY_WEBHOOK_LEASE_SECONDS must exceed {longest} (per endpoint "
                         "x both timeouts), or a claim could lapse while it is being sent.")
        return found

    def _server_problems(self) -> list[str]:
        found = []
        try:
            ipaddress.ip_address(self.HOST)
        except ValueError:
            found.append(f"CANOPY_HOST must be an IP address (127.0.0.1, 0.0.0.0, ::), "
                         f"not {self.HOST!r}.")
        if self.WEB_WORKERS < 1:
            found.append("WEB_CONCURRENCY must be at least 1.")
        longest_s = self.DB_STATEMENT_TIMEOUT_MS / 1000
        if longest_s >= self.GRACEFUL_TIMEOUT_S:
            found.append(f"CANOPY_GRACEFUL_TIMEOUT_S ({self.GRACEFUL_TIMEOUT_S}) must be longer "
                         f"than the longest request: CANOPY_DB_STATEMENT_TIMEOUT_MS is "
                         f"{self.DB_STATEMENT_TIMEOUT_MS} ms.")
        return found

    def _amqp_problems(self) -> list[str]:
        found = []
        if self.AMQP_URL is not None and urlsplit(self.AMQP_URL).scheme not in ("amqp", "amqps"):
            found.append("CANOPY_AMQP_URL must be an amqp:// or amqps:// URL.")
        if not 0 < len(self.AMQP_EXCHANGE.encode()) <= 255:
            found.append("CANOPY_AMQP_EXCHANGE must be a name of 1 to 255 bytes.")
        for name, value, low in (("PUBLISH_EVERY_SECONDS", self.AMQP_PUBLISH_EVERY_SECONDS, 1),
                                 ("BATCH", self.AMQP_BATCH, 1), ("TIMEOUT_S", self.AMQP_TIMEOUT_S, 1),
                                 ("GAP_WINDOW_SECONDS", self.AMQP_GAP_WINDOW_SECONDS, 60)):
            if value < low:
                found.append(f"CANOPY_AMQP_{name} must be at least {low}.")
        if self.AMQP_BATCH > 10000:
            found.append("CANOPY_AMQP_BATCH must be at most 10000.")
        return found

    def _production_problems(self) -> list[str]:
        found = []
        if self.JWT_SECRET == DEFAULT_JWT_SECRET:
            found.append("CANOPY_JWT_SECRET is the public development default: set a random "
                         "secret (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`).")
        elif len(self.JWT_SECRET.encode()) < MIN_SECRET_BYTES:
            found.append(f"CANOPY_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long.")
        if self.DATABASE_URL.startswith("sqlite"):
            found.append("DATABASE_URL points at SQLite: production runs on PostgreSQL "
                         "(postgresql://...).")
        found += [f"{name} is not a Canopy setting (a misspelt name, or one no longer read): "
                  "correct or remove it." for name in unknown_variables()]
        return found

    def check(self) -> None:
        """Refuse to start with settings that are unsafe or invalid here (ConfigError)."""
        found = self.problems()
        if found:
            raise ConfigError([f"Canopy cannot start ({self.ENV}): {p}" for p in found])


def config_or_exit(make=Config) -> Config:
    """The checked settings for a process that starts (server, worker, scheduler): on a
    problem, one line per problem on stderr and exit status 1 rather than a traceback."""
    try:
        config = make()
        config.check()
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        raise SystemExit(1) from None
    for name in unknown_variables():  # refused in production (problems()), said here
        print(f"warning: {name} is not a Canopy setting; production would refuse to start.",
              file=sys.stderr)
    return config


class TestConfig(Config):
    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.ENV = "development"  # whatever CANOPY_ENV the shell running the tests has
        self.DATABASE_URL = database_url
        self.JWT_SECRET = "test-secret-of-at-least-32-bytes!"
        self.JWT_MAX_LIFETIME_DAYS = 30
        self.JWT_ISSUER = self.JWT_AUDIENCE = None
        self.PARTNER_MAX_SKEW_S = 300
        # The tests' sessions share one connection (rolled back after each test): one worker.
        self.SETTLE_WORKERS = 1
        # One client makes hundreds of requests per run: the rate limits' own tests turn them on.
        self.RATE_LIMITS = False

"""Configuration knows its environment: development runs out of the box, production refuses
the development defaults with a message naming the variable."""

from __future__ import annotations

import pytest

from config import (
    DEFAULT_JWT_SECRET,
    Config,
    ConfigError,
    config_or_exit,
    known_variables,
    mask_url,
    unknown_variables,
)

POSTGRES = "postgresql://canopy@db.internal/canopy"
GOOD_SECRET = "s" * 32


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("CANOPY_ENV", "CANOPY_JWT_SECRET", "DATABASE_URL", "CANOPY_JWT_ISSUER",
                 "CANOPY_JWT_AUDIENCE", "CANOPY_JWT_MAX_LIFETIME_DAYS"):
        monkeypatch.delenv(name, raising=False)


def production(monkeypatch, secret=GOOD_SECRET, url=POSTGRES) -> Config:
    monkeypatch.setenv("CANOPY_ENV", "production")
    monkeypatch.setenv("CANOPY_JWT_SECRET", secret)
    monkeypatch.setenv("DATABASE_URL", url)
    return Config()


def test_a_fresh_machine_runs_in_development_with_the_defaults():
    config = Config()
    assert config.ENV == "development" and config.JWT_SECRET == DEFAULT_JWT_SECRET
    assert config.DATABASE_URL.startswith("sqlite") and config.JWT_MAX_LIFETIME_DAYS == 30
    assert config.JWT_ISSUER is None and config.JWT_AUDIENCE is None
    config.check()


def test_production_starts_with_a_32_byte_secret_and_postgresql(monkeypatch):
    production(monkeypatch).check()


def test_production_refuses_the_default_secret(monkeypatch):
    with pytest.raises(ConfigError, match="CANOPY_JWT_SECRET is the public development default"):
        production(monkeypatch, secret=DEFAULT_JWT_SECRET).check()


def test_production_refuses_no_secret_at_all(monkeypatch):
    production(monkeypatch)
    monkeypatch.delenv("CANOPY_JWT_SECRET")
    with pytest.raises(ConfigError, match="CANOPY_JWT_SECRET"):
        Config().check()


def test_production_refuses_a_secret_of_31_bytes(monkeypatch):
    with pytest.raises(ConfigError, match="CANOPY_JWT_SECRET must be at least 32 bytes"):
        production(monkeypatch, secret="s" * 31).check()


def test_a_secret_is_measured_in_bytes_not_characters(monkeypatch):
    with pytest.raises(ConfigError, match="32 bytes"):
        production(monkeypatch, secret="é" * 15).check()  # 30 bytes
    production(monkeypatch, secret="é" * 16).check()  # 32 bytes


def test_production_refuses_sqlite(monkeypatch):
    with pytest.raises(ConfigError, match="DATABASE_URL points at SQLite"):
        production(monkeypatch, url="sqlite:////tmp/canopy.db").check()


def test_production_names_every_problem_at_once(monkeypatch):
    monkeypatch.setenv("CANOPY_ENV", "production")
    with pytest.raises(ConfigError) as refused:
        Config().check()
    assert "CANOPY_JWT_SECRET" in str(refused.value) and "DATABASE_URL" in str(refused.value)


def test_an_unknown_environment_is_refused(monkeypatch):
    monkeypatch.setenv("CANOPY_ENV", "prod")
    with pytest.raises(ConfigError, match="CANOPY_ENV must be one of development, production"):
        Config().check()


@pytest.mark.parametrize("value", ["thirty", "", "1.5"])
def test_a_number_that_is_not_an_integer_names_its_variable(monkeypatch, value):
    monkeypatch.setenv("CANOPY_JWT_MAX_LIFETIME_DAYS", value)
    with pytest.raises(ConfigError, match="CANOPY_JWT_MAX_LIFETIME_DAYS must be an integer"):
        Config()


def test_a_lifetime_under_one_day_is_refused(monkeypatch):
    monkeypatch.setenv("CANOPY_JWT_MAX_LIFETIME_DAYS", "0")
    with pytest.raises(ConfigError, match="CANOPY_JWT_MAX_LIFETIME_DAYS must be at least 1"):
        Config().check()


def test_issuer_and_audience_are_read_and_empty_means_unset(monkeypatch):
    monkeypatch.setenv("CANOPY_JWT_ISSUER", "https://id.example")
    monkeypatch.setenv("CANOPY_JWT_AUDIENCE", "")
    config = Config()
    assert config.JWT_ISSUER == "https://id.example" and config.JWT_AUDIENCE is None


def test_the_app_refuses_to_start_in_production_with_the_default_secret(monkeypatch):
    from api import create_app

    with pytest.raises(ConfigError, match="CANOPY_JWT_SECRET"):
        create_app(production(monkeypatch, secret=DEFAULT_JWT_SECRET))


def test_the_scheduler_refuses_to_start_in_production_on_sqlite(monkeypatch):
    from jobs.scheduler import run

    with pytest.raises(ConfigError, match="DATABASE_URL"):
        run(production(monkeypatch, url="sqlite:////nonexistent/canopy.db"), once=True)


def test_production_refuses_an_unknown_canopy_variable_naming_it(monkeypatch):
    monkeypatch.setenv("CANOPY_SETTLE_WORKER", "4")  # a typo of CANOPY_SETTLE_WORKERS
    with pytest.raises(ConfigError, match="CANOPY_SETTLE_WORKER is not a Canopy setting"):
        production(monkeypatch).check()


def test_development_starts_with_an_unknown_canopy_variable(monkeypatch):
    monkeypatch.setenv("CANOPY_SETTLE_WORKER", "4")
    Config().check()


def test_every_variable_a_setting_reads_is_known_and_nothing_else():
    assert {"CANOPY_ENV", "CANOPY_JWT_SECRET", "CANOPY_SETTLE_REQUEST_POLL_SECONDS",
            "CANOPY_REDIS_URL", "CANOPY_TRUSTED_PROXIES"} <= known_variables()
    environ = {"CANOPY_SETTLE_WORKERS": "1", "CANOPY_SETTEL_WORKERS": "1", "PATH": "/bin",
               "DATABASE_URL": POSTGRES, "CANOPY_TEST_DATABASE_URL": POSTGRES}
    assert unknown_variables(environ) == ["CANOPY_SETTEL_WORKERS"]


def test_every_problem_is_a_line_of_its_own(monkeypatch):
    monkeypatch.setenv("CANOPY_ENV", "production")
    monkeypatch.setenv("CANOPY_NOPE", "1")
    with pytest.raises(ConfigError) as refused:
        Config().check()
    lines = str(refused.value).splitlines()
    assert [line.split(": ")[1].split(" ")[0] for line in lines] == [
        "CANOPY_JWT_SECRET", "DATABASE_URL", "CANOPY_NOPE"]


def test_a_process_that_cannot_start_says_why_on_stderr_and_exits_1(monkeypatch, capsys):
    monkeypatch.setenv("CANOPY_ENV", "production")
    with pytest.raises(SystemExit) as stopped:
        config_or_exit()
    err = capsys.readouterr().err
    assert stopped.value.code == 1 and len(err.splitlines()) == 2
    assert "Traceback" not in err and "DATABASE_URL points at SQLite" in err


def test_a_number_that_is_not_an_integer_stops_the_start_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("CANOPY_WEB_THREADS", "four")
    with pytest.raises(SystemExit):
        config_or_exit()
    assert capsys.readouterr().err == "CANOPY_WEB_THREADS must be an integer, not 'four'.\n"


def test_a_checked_config_is_returned_and_an_unknown_variable_is_a_warning(monkeypatch, capsys):
    monkeypatch.setenv("CANOPY_NOPE", "1")
    assert config_or_exit().ENV == "development"
    assert capsys.readouterr().err.startswith("warning: CANOPY_NOPE is not a Canopy setting")


@pytest.mark.parametrize("value, ok", [("0", False), ("1", True)])
def test_the_settlement_request_poll_is_at_least_a_second(monkeypatch, value, ok):
    monkeypatch.setenv("CANOPY_SETTLE_REQUEST_POLL_SECONDS", value)
    assert (Config().problems() == []) is ok


@pytest.mark.parametrize("url, shown", [
    ("postgresql://canopy:hunter2@db:5432/canopy", "postgresql://canopy:****@db:5432/canopy"),
    ("postgresql://canopy:p%40ss@db/canopy", "postgresql://canopy:****@db/canopy"),
    ("postgresql://db/canopy?user=c&password=hunter2", "postgresql://db/canopy?user=c&password=****"),
    ("redis://:hunter2@127.0.0.1:6379/0", "redis://:****@127.0.0.1:6379/0"),
    ("postgresql://canopy@db/canopy", "postgresql://canopy@db/canopy"),
    ("sqlite:////srv/canopy.db", "sqlite:////srv/canopy.db")])
def test_urls_are_shown_without_their_password(url, shown):
    assert mask_url(url) == shown


def test_the_shown_settings_mask_the_secret_and_the_passwords(monkeypatch):
    config = production(monkeypatch, url="postgresql://canopy:hunter2@db/canopy")
    config.REDIS_URL = "redis://:hunter3@127.0.0.1:6379/0"
    shown = config.masked()
    assert (shown["JWT_SECRET"], shown["ENV"]) == ("****", "production")
    assert "hunter" not in " ".join(shown.values()) and GOOD_SECRET not in shown.values()

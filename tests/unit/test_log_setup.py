"""applog: one handler however often it is configured, JSON when asked or not on a terminal,
readable lines on a terminal, and settings it cannot honour refused at start."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
import structlog

from config import Config
from db import applog


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_root():
    level = logging.getLogger().level
    yield
    applog.unconfigure()
    logging.getLogger().setLevel(level)


def test_configuring_twice_still_writes_each_line_once(restore_root):
    first, second = io.StringIO(), io.StringIO()
    applog.configure("INFO", "json", first)
    applog.configure("INFO", "json", second)
    applog.get_logger("test").info("once")
    assert first.getvalue() == ""
    assert [json.loads(line)["event"] for line in second.getvalue().splitlines()] == ["once"]


def test_auto_is_json_off_a_terminal_and_readable_on_one(restore_root):
    piped, terminal = io.StringIO(), Terminal()
    applog.configure("INFO", "auto", piped)
    with structlog.contextvars.bound_contextvars(request_id="r-1"):
        applog.get_logger("test").info("hello", balls=3)
    line = json.loads(piped.getvalue())
    assert (line["event"], line["balls"], line["request_id"]) == ("hello", 3, "r-1")
    assert list(line)[:4] == ["timestamp", "level", "logger", "event"]
    applog.configure("INFO", "auto", terminal)
    applog.get_logger("test").info("hello", balls=3)
    text = re.sub(r"\x1b\[[0-9;]*m", "", terminal.getvalue())  # without its colours
    assert "hello" in text and "balls=3" in text and not text.startswith("{")
    assert "message=" not in text  # pytest's own handler formatted the record first


def test_the_level_drops_what_is_below_it(restore_root):
    out = io.StringIO()
    applog.configure("WARNING", "json", out)
    applog.get_logger("test").info("chatter")
    logging.getLogger("library").warning("worth %s", "saying")
    assert [json.loads(line)["event"] for line in out.getvalue().splitlines()] == [
        "worth saying"]


@pytest.mark.parametrize("name, value, words", [
    ("CANOPY_LOG_LEVEL", "LOUD", "CANOPY_LOG_LEVEL must be one of"),
    ("CANOPY_LOG_FORMAT", "xml", "CANOPY_LOG_FORMAT must be one of")])
def test_a_log_setting_that_cannot_be_honoured_is_refused(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    assert any(words in problem for problem in Config().problems())


def test_the_log_settings_default_to_info_and_auto(monkeypatch):
    monkeypatch.delenv("CANOPY_LOG_LEVEL", raising=False)
    monkeypatch.delenv("CANOPY_LOG_FORMAT", raising=False)
    config = Config()
    assert (config.LOG_LEVEL, config.LOG_FORMAT, config.problems()) == ("INFO", "auto", [])

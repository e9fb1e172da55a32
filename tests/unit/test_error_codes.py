"""The catalogue of problem codes: one stable code per error class, each with one status."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from api.core.errors import problem_codes, status_for_class
from api.core.problems import (
    API_PROBLEMS,
    DEFAULT_CODE_BY_STATUS,
    ERROR_MODULES,
    default_code,
    error_classes,
    markdown_table,
    type_uri,
)

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def test_every_domain_error_class_names_its_own_code():
    unnamed = [c.__qualname__ for c in error_classes() if "code" not in vars(c)]
    assert unnamed == [], "give each of these a `code = \"snake_case\"` class attribute"


def test_no_two_error_classes_share_a_code():
    by_code: dict[str, list[str]] = {}
    for cls in error_classes():
        by_code.setdefault(cls.code, []).append(cls.__qualname__)
    assert {code: names for code, names in by_code.items() if len(names) > 1} == {}


def test_every_code_is_snake_case():
    codes = [c.code for c in error_classes()] + list(API_PROBLEMS) + list(problem_codes())
    assert [c for c in codes if not SNAKE.match(c)] == []


def test_a_domain_code_shared_with_the_api_layer_keeps_one_status():
    shared = [c for c in error_classes() if c.code in API_PROBLEMS]
    assert {c.code for c in shared} >= {"not_found", "conflict", "invalid_input", "forbidden"}
    assert [(c.code, status_for_class(c), API_PROBLEMS[c.code][0]) for c in shared
            if status_for_class(c) != API_PROBLEMS[c.code][0]] == []


def test_every_errors_module_of_the_domain_feeds_the_catalogue():
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts)
               for pkg in ("carbon", "game") for p in (ROOT / pkg).rglob("errors.py")}
    assert modules - set(ERROR_MODULES) == set(), "add them to api.core.problems.ERROR_MODULES"


def test_the_catalogue_lists_every_client_visible_domain_code_with_its_status():
    codes = problem_codes()
    for cls in error_classes():
        if status_for_class(cls) < 500:
            assert codes[cls.code].status == status_for_class(cls), cls
    assert codes["insufficient_energy"].status == 409
    assert codes["ball_not_found"].status == 404
    assert codes["cannot_befriend_self"].status == 422
    assert codes["not_friends"].status == 403


def test_a_server_fault_class_is_not_offered_to_clients_as_a_code():
    assert "ledger_unbalanced" not in problem_codes()
    assert problem_codes()["internal_error"].status == 500


def test_every_default_code_is_catalogued_under_its_own_status():
    codes = problem_codes()
    assert {s: codes[c].status for s, c in DEFAULT_CODE_BY_STATUS.items()} == {
        s: s for s in DEFAULT_CODE_BY_STATUS}


@pytest.mark.parametrize(("status", "code"), [
    (400, "malformed_request"), (405, "method_not_allowed"), (413, "body_too_large"),
    (418, "im_a_teapot"), (431, "request_header_fields_too_large"), (502, "bad_gateway"),
    (599, "internal_error"), (499, "malformed_request"),
])
def test_a_status_without_a_code_still_gets_one(status, code):
    assert default_code(status) == code


def test_a_problem_type_is_the_urn_of_its_code():
    assert type_uri("budget_exhausted") == "urn:canopy:problem:budget_exhausted"


def _codes_passed_in_api_sources() -> dict[str, str]:
    """code -> file, for every `ApiProblem(..., code="x")` or `problem(..., code="x")` in api/."""
    found = {}
    for path in (ROOT / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in (
                    "ApiProblem", "problem"):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        found[kw.value.value] = path.name
    return found


def test_every_code_the_api_layer_raises_is_in_the_catalogue():
    missing = {c: f for c, f in _codes_passed_in_api_sources().items() if c not in problem_codes()}
    assert missing == {}, "add these to api.core.problems.API_PROBLEMS with status and meaning"


def test_the_readme_table_has_a_row_per_code():
    table = markdown_table(problem_codes())
    assert table.count("\n") == len(problem_codes()) + 2
    assert "| `budget_exhausted` | 409 | No budget left |" in table


"""Every input schema of the app, found from its routes, keeps the two input rules: text a column
can hold, and dates inside Canopy's calendar. A route added tomorrow is checked too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from marshmallow import Schema, fields, validate

from api.schemas.date_fields import BoundedDate, BoundedDateTime
from api.schemas.fields import Storable, UserId

SAFE_TEXT = (Storable, UserId, validate.OneOf)


def argument_schemas(app) -> Iterator[tuple[str, str, Schema]]:
    """(route, location, schema instance) for every @blp.arguments of every view."""
    for rule in app.url_map.iter_rules():
        view_class = getattr(app.view_functions[rule.endpoint], "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            view = getattr(view_class, method.lower(), None)
            apidoc = getattr(view, "_apidoc", {})
            for param in apidoc.get("arguments", {}).get("parameters", []):
                schema = param["schema"]
                yield (f"{method} {rule.rule}", param["in"],
                       schema() if isinstance(schema, type) else schema)


def leaf_fields(schema: Schema, prefix: str = "") -> Iterator[tuple[str, fields.Field]]:
    for name, field in schema.fields.items():
        yield from _leaves(f"{prefix}{name}", field)


def _leaves(name: str, field: fields.Field) -> Iterator[tuple[str, fields.Field]]:
    if isinstance(field, fields.Nested):
        yield from leaf_fields(field.schema, f"{name}.")
    elif isinstance(field, fields.List):
        yield from _leaves(f"{name}[]", field.inner)
    elif isinstance(field, fields.Dict):
        for part in (field.key_field, field.value_field):
            if part is not None:
                yield from _leaves(f"{name}{{}}", part)
    else:
        yield name, field


def test_the_app_has_input_schemas_to_check(app):
    routes = {route for route, _, _ in argument_schemas(app)}
    assert {"POST /v1/me/steps", "GET /v1/me/carbon", "POST /v1/admin/quiz-questions"} <= routes


def test_every_string_of_every_body_is_storable(app):
    """NUL and lone surrogates answered 500 on PostgreSQL (quiz, donations, charity names)."""
    loose = [f"{route} {name}" for route, location, schema in argument_schemas(app)
             if location == "json" for name, field in leaf_fields(schema)
             if isinstance(field, fields.String)
             and not any(isinstance(v, SAFE_TEXT) for v in field.validators)]
    assert loose == []


@pytest.mark.parametrize("kind", [fields.Date, fields.DateTime])
def test_every_date_of_every_input_is_inside_the_calendar(app, kind):
    """9999-12-31 overflowed date arithmetic (settlements, statements) or blocked methodology."""
    loose = [f"{route} {name}" for route, _, schema in argument_schemas(app)
             for name, field in leaf_fields(schema)
             if isinstance(field, kind) and not isinstance(field, BoundedDate | BoundedDateTime)]
    assert loose == []

"""Blueprint registry: each resource module exposes `blp`."""

from __future__ import annotations

import importlib

from flask_smorest import Api

# Modules under api/ that define a `blp`; a package adds its own line here.
BLUEPRINT_MODULES = [
    "api.operators.health",
    "api.app.me",
    "api.app.me_feed",
    "api.operators.settlements",
    "api.app.forest_friends",
    "api.app.forest_plantings",
    "api.partners.plantings",
    "api.operators.projects",
    "api.app.forest_balls",
    "api.operators.shields",
    "api.public.figures",
    "api.app.forest_groups",
    "api.partners.events",
    "api.app.steps",
    "api.operators.catalog",
    "api.app.farm",
    "api.app.charity",
    "api.partners.donations",
    "api.operators.charity",
    "api.operators.quiz",
    "api.public.log",
]


def register_blueprints(api: Api) -> None:
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)
        api.register_blueprint(module.blp)

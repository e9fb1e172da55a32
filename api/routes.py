"""Blueprint registry: each resource module exposes `blp`."""

from __future__ import annotations

import importlib

from flask_smorest import Api

# Modules under api/ that define a `blp`; a package adds its own line here.
BLUEPRINT_MODULES = [
    "api.health",
    "api.me",
    "api.me_feed",
    "api.admin_settlements",
    "api.forest_friends",
    "api.forest_plantings",
    "api.partner_plantings",
    "api.admin_projects",
    "api.forest_balls",
    "api.admin_shields",
    "api.public",
    "api.forest_groups",
    "api.partner_events",
    "api.steps",
    "api.admin_catalog",
    "api.farm",
    "api.charity",
    "api.partner_donations",
    "api.admin_charity",
    "api.admin_quiz",
    "api.public_log",
    "api.admin_webhooks",
    "api.partner_webhooks",
]


def register_blueprints(api: Api) -> None:
    for name in BLUEPRINT_MODULES:
        module = importlib.import_module(name)
        api.register_blueprint(module.blp)

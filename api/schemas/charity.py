"""Schemas of charity projects: the app's listing and the operators' routes share them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.core.docs import PageQuerySchema, page_of
from game.farm.services import charity


class CharityProjectSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    partner_id = fields.Integer(metadata={"description": "the charity partner"})
    partner_name = fields.String()
    sponsor_name = fields.String()
    fen_per_egg = fields.Integer()
    egg_target = fields.Integer(metadata={"description": "eggs per donation record"})
    eggs_donated = fields.Integer()
    records = fields.Integer(metadata={"description": "donation records so far"})
    status = fields.String(metadata={"description": "open | closed"})
    created_at = fields.DateTime()


CharityProjectPageSchema = page_of(CharityProjectSchema)


class ProjectQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(charity.STATUSES))

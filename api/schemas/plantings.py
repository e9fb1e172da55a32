"""Schemas of planting projects, orders and certificates: read by the app, partners,
operators and the public log."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.core.docs import page_of


class ProjectSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "tree | reserve"})
    unit = fields.String(metadata={"description": "tree | m2: what cost and budget count"})
    region = fields.String()
    energy_cost_g = fields.Integer(metadata={"description": "energy per tree or per m²"})
    budget = fields.Integer(metadata={"description": "trees or m² left this season"})
    status = fields.String(metadata={"description": "open | closed"})
    partner_id = fields.Integer()
    partner_name = fields.String()


ProjectPageSchema = page_of(ProjectSchema)


class EvidenceOutSchema(Schema):
    planted_at = fields.DateTime()
    latitude = fields.Float()
    longitude = fields.Float()
    plot = fields.String()
    photo_urls = fields.List(fields.String())
    note = fields.String()


class OrderSchema(Schema):
    id = fields.Integer()
    project_id = fields.Integer()
    project_name = fields.String()
    kind = fields.String()
    quantity = fields.Integer()
    energy_g = fields.Integer()
    status = fields.String(metadata={"description": "pending | planted | rejected"})
    created_at = fields.DateTime()
    decided_at = fields.DateTime(allow_none=True)
    reject_reason = fields.String(allow_none=True)
    group_id = fields.Integer(allow_none=True)
    evidence = fields.Nested(EvidenceOutSchema, allow_none=True)
    certificates = fields.List(fields.String(), metadata={"description": "certificate numbers"})


OrderPageSchema = page_of(OrderSchema)


class CertificateSchema(Schema):
    number = fields.String(metadata={"example": "CNP-2026-000001"})
    kind = fields.String(metadata={"description": "tree | reserve | duty"})
    project_id = fields.Integer(allow_none=True)
    order_id = fields.Integer(allow_none=True)
    group_id = fields.Integer(allow_none=True)
    quantity = fields.Integer(metadata={"description": "trees, m², or certificates exchanged"})
    year = fields.Integer()
    issued_at = fields.DateTime()
    used_for = fields.String(allow_none=True,
                             metadata={"description": "the duty certificate it was exchanged for"})


CertificatePageSchema = page_of(CertificateSchema)

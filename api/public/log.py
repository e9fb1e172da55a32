"""The public log, for anyone: a certificate with its inclusion proof, and the daily roots."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from api.core.context import uow
from api.core.docs import PageQuerySchema, documented, page_of
from api.core.pagination import paged
from game.transparency import proofs, services

blp = Blueprint("public_log", __name__, url_prefix="/v1/public",
                description="The tamper-evident public log of plantings and donations")

HOW_TO_VERIFY = (
    "hash = SHA-256(bytes(proof.prev_hash) || canonical JSON of record (keys sorted, no "
    "whitespace, UTF-8)); leaf = SHA-256(0x00 || hash); walking up, an odd index hashes "
    "SHA-256(0x01 || sibling || node), an even index with a right neighbour hashes "
    "SHA-256(0x01 || node || sibling), the last node of an odd level goes up unchanged; the "
    "result must equal root.root, and proof.leaf_count must equal root.count.")


class RootSchema(Schema):
    log_date = fields.Date(metadata={"description": "the UTC day the root covers"})
    root = fields.String(metadata={"description": "hex SHA-256 Merkle root of the day"})
    count = fields.Integer(metadata={"description": "entries of the day (leaves)"})
    first_seq = fields.Integer()
    last_seq = fields.Integer()
    published_at = fields.DateTime()


RootPageSchema = page_of(RootSchema)


class ProofSchema(Schema):
    prev_hash = fields.String(metadata={"description": "hash of the entry before it"})
    leaf_index = fields.Integer(metadata={"description": "position in its day, from 0"})
    leaf_count = fields.Integer()
    path = fields.List(fields.String(), metadata={"description": "sibling hashes, leaf to root"})


class RecordProofSchema(Schema):
    seq = fields.Integer(attribute="entry.seq")
    log_date = fields.Date(attribute="entry.log_date")
    record = fields.Dict(attribute="entry.record",
                         metadata={"description": "exactly what was hashed"})
    hash = fields.String(attribute="entry.hash")
    proof = fields.Nested(ProofSchema, allow_none=True, metadata={
        "description": "null until the day's root is published (after that UTC day ends). "
                       + HOW_TO_VERIFY})
    root = fields.Nested(RootSchema, allow_none=True)
    status = fields.Method("_status", metadata={"description": "published | pending"})

    def _status(self, obj) -> str:
        return "published" if obj.root is not None else "pending"


class CertificateProofSchema(RecordProofSchema):
    number = fields.String(attribute="ref")


class DonationRecordProofSchema(RecordProofSchema):
    id = fields.Integer(attribute="ref", metadata={"description": "the donation record's id"})


@blp.route("/certificates/<string:number>")
class CertificateRecord(MethodView):
    @blp.response(200, CertificateProofSchema)
    @documented(blp, errors=(404,))
    def get(self, number):
        """A certificate's log record (tree, reserve or duty), its hash and inclusion proof."""
        return proofs.certificate_proof(uow(), number)


@blp.route("/donation-records/<int:record_id>")
class DonationRecordProof(MethodView):
    @blp.response(200, DonationRecordProofSchema)
    @documented(blp, errors=(404,))
    def get(self, record_id):
        """A confirmed donation record's log entry, its hash and its inclusion proof."""
        return proofs.donation_record_proof(uow(), record_id)


@blp.route("/log/roots")
class LogRoots(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, RootPageSchema)
    @documented(blp, errors=(422,))
    def get(self, query):
        """The published daily Merkle roots, oldest first."""
        return paged(services.roots(uow(), query["after"], query["limit"]))

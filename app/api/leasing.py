"""API routes: leasing — whether a unit's own (not leased) rights can serve as a project's
reduction substitution (R31, R18). Leases themselves run as the `lease` process."""
from __future__ import annotations

from flask import jsonify
from flask_babel import lazy_gettext as _l

from app.api import bp
from app.api.ledger import load_json
from app.api.schemas.leasing import SubstitutionCheckInSchema, SubstitutionCheckSchema
from app.auth.access import actor, api_auth, in_jurisdiction
from app.auth.models import BUREAU_ROLES, Enterprise
from app.common.money import fmt_tonnes
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.leasing import services


@bp.post("/substitution-checks")
@api_auth("enterprise", "admin", *BUREAU_ROLES)
def substitution_check():
    """Check that a unit's own rights cover a reduction substitution; leased ones never do (R31).
    ---
    post:
      tags: [leasing]
      requestBody: {content: {application/json: {schema: SubstitutionCheckInSchema}}}
      responses:
        200: {content: {application/json: {schema: SubstitutionCheckSchema}}}
        403: {description: not the unit's own user nor a bureau in jurisdiction}
        404: {description: no such enterprise}
        422: {description: "own rights short; leased tonnes do not count (rule R31)"}
    """
    body = load_json(SubstitutionCheckInSchema())
    user = actor()
    enterprise = db.session.get(Enterprise, body["enterprise_id"])
    if enterprise is None:
        raise NotFound(_l("企业不存在：%(id)s", id=body["enterprise_id"]))
    own_unit = user.has_role("enterprise") and user.enterprise_id == enterprise.id
    if not own_unit and not in_jurisdiction(user, enterprise.region_code):
        raise Forbidden(_l("无权查看该企业的排污权"))
    owner = f"enterprise:{enterprise.id}"
    for pollutant, tonnes in body["amounts"].items():
        services.assert_not_leased(owner=owner, pollutant=pollutant, tonnes=tonnes)
    return jsonify(SubstitutionCheckSchema().dump({
        "enterprise_id": enterprise.id, "ok": True,
        "own": {p: fmt_tonnes(services.own_tonnes(owner=owner, pollutant=p))
                for p in body["amounts"]},
        "leased": {p: fmt_tonnes(services.leased_tonnes(owner=owner, pollutant=p))
                   for p in body["amounts"]},
    }))

"""Security headers (api/core/headers.py) on every kind of answer."""

from __future__ import annotations


def test_every_answer_says_nosniff_even_an_error(client):
    for path in ("/healthz", "/openapi.json", "/v1/public/stats", "/v1/nowhere", "/v1/me"):
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff", path


def test_user_answers_are_never_stored_in_a_cache(client, token):
    ok = client.get("/v1/me", headers=token("alice"))
    refused = client.get("/v1/me")
    assert ok.status_code == 200 and refused.status_code == 401
    assert ok.headers["Cache-Control"] == "no-store"
    assert refused.headers["Cache-Control"] == "no-store"


def test_partner_and_admin_answers_are_never_stored_in_a_cache(client, signed, make_partner):
    partner = make_partner(("admin",))
    resp = signed(partner, "GET", "/v1/admin/activity-types")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert client.post("/v1/partner/events", json={}).headers["Cache-Control"] == "no-store"


def test_public_figures_may_be_cached_unless_credentials_came_along(client, token):
    assert "no-store" not in client.get("/v1/public/stats").headers.get("Cache-Control", "")
    with_token = client.get("/v1/public/stats", headers=token("alice"))
    assert with_token.headers["Cache-Control"] == "no-store"


def test_the_documentation_pages_have_a_csp_that_forbids_framing(client):
    for path in ("/docs", "/swagger"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        csp = resp.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "script-src 'self';" in csp  # their scripts come from the API, not a CDN
        assert resp.headers["X-Frame-Options"] == "DENY"


def test_api_answers_carry_no_documentation_csp(client):
    assert "Content-Security-Policy" not in client.get("/healthz").headers

def test_healthz_answers_ok_when_the_database_answers(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_openapi_document_is_served(client):
    resp = client.get("/openapi.json")
    assert resp.status_code == 200
    assert "/healthz" in resp.get_json()["paths"]


def test_unknown_path_is_problem_json(client):
    resp = client.get("/v1/nowhere")
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["status"] == 404 and body["title"] and body["detail"]

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


def test_a_body_that_is_not_json_is_a_400_problem_that_says_so(client, token):
    resp = client.post("/v1/me/steps", data="garbage", headers={
        **token("alice"), "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.mimetype == "application/problem+json"
    assert "JSON" in resp.get_json()["detail"]


def test_livez_answers_without_asking_the_database(client, app, monkeypatch):
    def no_database():
        raise AssertionError("livez must not open a unit of work")

    monkeypatch.setattr("api.operators.health.uow", no_database)
    resp = client.get("/livez")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_answers_ok_when_the_schema_is_at_head(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_is_503_when_the_schema_is_behind_the_code(client, app):
    app.extensions["canopy_heads"] = {"9999_not_yet_applied"}
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["Retry-After"]
    assert "9999_not_yet_applied" in resp.get_json()["detail"]


def test_readyz_and_healthz_are_503_when_the_database_does_not_answer(client, monkeypatch):
    def down():
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr("api.operators.health.uow", down)
    for path in ("/readyz", "/healthz"):
        resp = client.get(path)
        assert resp.status_code == 503, path
        assert resp.mimetype == "application/problem+json"


def test_the_openapi_document_is_built_once_and_served_as_the_same_bytes(app, client,
                                                                         monkeypatch):
    spec = app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec
    builds = []
    real = spec.to_dict
    monkeypatch.setattr(spec, "to_dict", lambda: builds.append(1) or real())
    first, second = client.get("/openapi.json"), client.get("/openapi.json")
    assert first.status_code == second.status_code == 200
    assert first.mimetype == "application/json" and first.data == second.data
    assert len(builds) == 1

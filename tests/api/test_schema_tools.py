"""Templates, the function / operator catalogues and parseExpression through the API (TestClient),
checked against the Graph request / response examples of spec §A.6."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import BASE

# spec §A.6: the documented parseExpression round trip (Graph's own request shape)
DOCUMENTED_REQUEST = {
    "expression": 'Replace([preferredLanguage], "-", , , "_", ,  )',
    "targetAttributeDefinition": None,
    "testInputObject": {
        "definition": None,
        "properties": [
            {"key": "objectId", "value": "66E4A8CC-1B7B-435E-95F8-F06CEA133828"},
            {"key": "preferredLanguage", "value": "EN-US"},
        ],
    },
}


def test_parse_expression_documented_round_trip(client: TestClient) -> None:
    for path in (
        f"{BASE}/jobs/alpha/schema/parseExpression",
        f"{BASE}/templates/scim/schema/parseExpression",
    ):
        response = client.post(path, json=DOCUMENTED_REQUEST)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["parsingSucceeded"] is True
        assert body["evaluationSucceeded"] is True
        assert body["evaluationResult"] == ["EN_US"]
        assert body["parsedExpression"]["type"] == "Function"
        assert body["parsedExpression"]["name"] == "Replace"


def test_parse_expression_reports_a_syntax_error_in_graphs_shape(client: TestClient) -> None:
    response = client.post(f"{BASE}/jobs/alpha/schema/parseExpression", json={"expression": 'Join(",", [a]'})
    assert response.status_code == 200
    body = response.json()
    assert body["parsingSucceeded"] is False
    assert body["error"]["message"]


def test_parse_expression_without_an_expression_is_400(client: TestClient) -> None:
    response = client.post(f"{BASE}/jobs/alpha/schema/parseExpression", json={"testInputObject": {}})
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"] == "body.expression"


def test_function_and_operator_catalogues(client: TestClient) -> None:
    functions = client.get(f"{BASE}/jobs/alpha/schema/functions").json()["value"]
    replace = next(f for f in functions if f["name"] == "Replace")
    assert len(replace["parameters"]) == 7  # Replace's seven documented slots (spec §A.5)
    assert replace["parameters"][0]["name"] == "source" and replace["parameters"][0]["required"] is True
    assert client.get(f"{BASE}/templates/scim/schema/functions").json()["value"] == functions
    operators = client.get(f"{BASE}/jobs/alpha/schema/filterOperators").json()["value"]
    assert {"name", "arity", "multivaluedComparisonType", "supportedAttributeTypes"} <= set(operators[0])
    assert "EQUALS" in {o["name"] for o in operators}


def test_templates_list_get_and_schema(client: TestClient) -> None:
    templates = client.get(f"{BASE}/templates").json()["value"]
    ids = {t["id"] for t in templates}
    assert "scim" in ids
    assert all("schema" not in t for t in templates)
    assert client.get(f"{BASE}/templates/scim").json()["id"] == "scim"
    schema = client.get(f"{BASE}/templates/scim/schema").json()
    assert schema["synchronizationRules"][0]["sourceDirectoryName"] == "Azure Active Directory"
    assert client.get("/applications/local/synchronization/templates").json()["value"] == templates
    assert client.get("/applications/local/synchronization/templates/scim/schema").json() == schema
    for tool in ("functions", "filterOperators"):
        assert client.get(f"{BASE}/templates/nope/schema/{tool}").status_code == 404
    assert (
        client.post(f"{BASE}/templates/nope/schema/parseExpression", json={"expression": "1"}).status_code
        == 404
    )
    missing = client.get(f"{BASE}/templates/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "ResourceNotFound"


def test_directories_list_and_discover_of_unknown_directory(client: TestClient) -> None:
    assert client.get(f"{BASE}/jobs/alpha/schema/directories").json() == {"value": []}
    response = client.post(f"{BASE}/jobs/alpha/schema/directories/nope/discover")
    assert response.status_code == 404
    assert "no directory 'nope'" in response.json()["error"]["message"]

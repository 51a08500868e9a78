"""Fixtures: a bearer client per role, the integrations the webhook tests need."""

from __future__ import annotations

import pytest

import helpers
from helpers import TOKENS, URL_A, URL_B, client, ok_json, ws_path

SENTRY_SECRET = "conformance-sentry-client-secret"


@pytest.fixture(autouse=True)
def responses_match_the_document():
    """Every response a test gets (statuses, headers, bodies) must be what openapi.yaml says."""
    helpers.VIOLATIONS.clear()
    yield
    found = list(helpers.VIOLATIONS)
    helpers.VIOLATIONS.clear()
    assert not found, "responses that differ from openapi.yaml:\n" + "\n".join(found)


@pytest.fixture(scope="session")
def owner():
    with client(URL_A, TOKENS["owner"]) as c:
        yield c


@pytest.fixture(scope="session")
def admin():
    with client(URL_A, TOKENS["admin"]) as c:
        yield c


@pytest.fixture(scope="session")
def member():
    with client(URL_A, TOKENS["member"]) as c:
        yield c


@pytest.fixture(scope="session")
def viewer():
    with client(URL_A, TOKENS["viewer"]) as c:
        yield c


@pytest.fixture(scope="session")
def other():
    """The owner of another workspace."""
    with client(URL_A, TOKENS["other"]) as c:
        yield c


@pytest.fixture(scope="session")
def owner_b():
    """The owner token on URL_B: the second host (same database), or the proxy again (SC_FLEET=1)."""
    with client(URL_B, TOKENS["owner"]) as c:
        yield c


@pytest.fixture(scope="session")
def anon():
    with client(URL_A) as c:
        yield c


@pytest.fixture(scope="session")
def sentry_secret(admin):
    """Sentry deliveries to the workspace must be signed with this secret."""
    body = ok_json(admin.put(f"{ws_path()}/integrations/sentry", json={"secret": SENTRY_SECRET}))
    assert body["source"] == "sentry" and body["has_secret"] is True, body
    return SENTRY_SECRET


@pytest.fixture(scope="session")
def am_key(admin):
    """A live Alertmanager ingest key of the workspace."""
    body = ok_json(admin.post(f"{ws_path()}/integrations/alertmanager/keys"), 201)
    assert body["source"] == "alertmanager" and body["key"], body
    return body["key"]

"""The report page of `diffrisk serve` (GET /reports/OWNER/NAME/SHA?sig=…) on SQLite and
PostgreSQL: a signed link shows the stored analysis as the HTML report; any other link is a
404 that says nothing about what exists."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.report_links import link_signature, report_url
from app.reports.html import CSP
from app.reports.result import Score, result_json
from app.server import create_app, receiver_redis
from app.settings import Settings
from app.storage.schema import Analysis
from tests.report_samples import sample_result

SECRET = "report-secret"
REPOSITORY = "octo/private-repo"
HEAD = "a" * 40


@pytest.fixture
def client(engine: Engine, redis_url: str, database_url: str) -> Iterator[FlaskClient]:
    settings = Settings(webhook_secret=SECRET, redis_url=redis_url, database_url=database_url)
    redis = receiver_redis(settings)
    yield create_app(settings, redis=redis, engine=engine).test_client()
    redis.close()


def store(engine: Engine, head: str, risk: float | None, config: str = "") -> None:
    """One analyses row of REPOSITORY at head; no result when risk is None (still running)."""
    result = None if risk is None else result_json(replace(
        sample_result(), repository=REPOSITORY, head=head, risk=Score(risk, "high")))
    with Session(engine) as session, session.begin():
        session.add(Analysis(repository=REPOSITORY, pull_number=7, head_sha=head,
                             config_hash=config, status="completed", result=result))


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_signed_link_shows_the_newest_analysis_with_the_history(
        client: FlaskClient, engine: Engine) -> None:
    for number, risk in enumerate((0.1, 0.2, 0.3)):
        store(engine, f"{number}" * 40, risk)
    store(engine, HEAD, 0.61, config="old")
    store(engine, HEAD, 0.83, config="new")
    store(engine, HEAD, None, config="running")
    page = client.get(path_of(report_url("https://x.example/", SECRET, REPOSITORY, HEAD)))
    assert page.status_code == 200
    assert page.headers["Content-Security-Policy"] == CSP
    assert page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert html.startswith("<!DOCTYPE html>") and REPOSITORY in html
    assert "0.83" in html and "0.61" not in html  # the newest analysis of the head
    assert "is riskier than 100% of 3 past changes" in html  # the repository's other heads


def test_any_other_link_is_a_plain_404(client: FlaskClient, engine: Engine) -> None:
    store(engine, HEAD, 0.5)
    good = link_signature(SECRET, REPOSITORY, HEAD)
    forged = link_signature("another secret", REPOSITORY, HEAD)
    other = "b" * 40
    for path in (f"/reports/{REPOSITORY}/{HEAD}", f"/reports/{REPOSITORY}/{HEAD}?sig={forged}",
                 f"/reports/{REPOSITORY}/{HEAD}?sig={good[:-1]}0",
                 f"/reports/octo/other-repo/{HEAD}?sig={good}",
                 f"/reports/{REPOSITORY}/{HEAD.upper()}?sig={good}",
                 f"/reports/{REPOSITORY}/{other}?sig={link_signature(SECRET, REPOSITORY, other)}"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert "no analysis of this commit here" in answer.get_data(as_text=True)

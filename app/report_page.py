"""GET /reports/OWNER/NAME/SHA?sig=…: an analysis's HTML report, the page a check run's
"Details" link opens. The link is signed (app/report_links.py); an unsigned, mistyped or forged
one answers 404 like an unknown commit, so the page of a private repository cannot be found by
guessing. The page is the self-contained HTML report (no scripts, inline CSS and SVG), with the
change's risk plotted against the repository's earlier analyses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, request
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.report_links import signature_matches
from app.reports.html import CSP, render_html
from app.reports.stored import result_from_json
from app.storage.schema import Analysis

EXTENSION = "diffrisk_reports"
HEAD_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
HISTORY_LIMIT = 500  # earlier analyses the change's risk is plotted against
HEADERS = {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP,
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Cache-Control": "private, max-age=60", "X-Frame-Options": "DENY"}
NOT_FOUND = ("no analysis of this commit here: the link may be mistyped, or the analysis has not "
             "finished yet")

bp = Blueprint("reports", __name__)


@dataclass(frozen=True)
class ReportState:
    """What the report page needs, built once by create_app."""

    secret: str
    engine: Engine


def init_report_page(app: Flask, state: ReportState) -> None:
    """Attach the page's state and route to the app."""
    app.extensions[EXTENSION] = state
    app.register_blueprint(bp)


def newest_result(engine: Engine, repository: str, head_sha: str) -> dict[str, Any] | None:
    """The stored result of the newest analysis of this head (any gate configuration) that
    has one."""
    with Session(engine) as session:
        results = session.scalars(
            select(Analysis.result).where(Analysis.repository == repository,
                                          Analysis.head_sha == head_sha)
            .order_by(Analysis.updated_at.desc(), Analysis.id.desc()))
        return next((result for result in results if isinstance(result, dict)), None)


def earlier_risks(engine: Engine, repository: str, head_sha: str) -> list[float]:
    """The risk of the repository's other analyses, the newest HISTORY_LIMIT."""
    with Session(engine) as session:
        results = session.scalars(
            select(Analysis.result).where(Analysis.repository == repository,
                                          Analysis.head_sha != head_sha)
            .order_by(Analysis.id.desc()).limit(HISTORY_LIMIT))
        values = [(r.get("risk") or {}).get("value") for r in results if isinstance(r, dict)]
    return [float(v) for v in values if isinstance(v, int | float)]


@bp.get("/reports/<owner>/<name>/<head_sha>")
def report_page(owner: str, name: str, head_sha: str) -> ResponseReturnValue:
    """The HTML report of the newest analysis of a head, for a correctly signed link."""
    state: ReportState = current_app.extensions[EXTENSION]
    repository = f"{owner}/{name}"
    signature = request.args.get("sig", "")
    if not HEAD_SHA.fullmatch(head_sha) or not signature_matches(state.secret, repository,
                                                                 head_sha, signature):
        return NOT_FOUND, 404, {"Content-Type": "text/plain; charset=utf-8"}
    stored = newest_result(state.engine, repository, head_sha)
    if stored is None:
        return NOT_FOUND, 404, {"Content-Type": "text/plain; charset=utf-8"}
    page = render_html(result_from_json(stored), earlier_risks(state.engine, repository,
                                                                head_sha))
    return page, 200, HEADERS

"""The approval page: controllers sign in with Odoo, review pending proposals and approve or reject them.

Server-rendered pages (FastAPI + Jinja2, autoescaped); the same rules as ``ledgerpilot proposals``:
Odoo checks the person's credentials and group at sign-in and again at each decision, the proposer
and the agent's own logins never approve, a rejection needs a comment. Every form carries a CSRF
token bound to the session; the session token lives in an HttpOnly, SameSite=Strict cookie and
nothing secret ever appears in a URL. An approved proposal is written to Odoo at once (unless
``web_apply_on_approve`` is off), exactly once, through the same write-back as the CLI.
Every failure has its own page: not signed in (back to sign-in), expired form (403), unknown
proposal (404), refused decision (403), a decision someone else made first -- at the same moment or
earlier -- (409), Odoo unreachable (502), anything else (500). Refusals are audited.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerpilot.channels.web.proposal_views import detail_of, kind_label, rows_of
from ledgerpilot.channels.web.sessions import SessionStore, WebSession
from ledgerpilot.channels.web.signin import SignInRefused, approving_groups, sign_in
from ledgerpilot.channels.web.throttle import SignInThrottle
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import ProposalNotFound, ProposalStore
from ledgerpilot.odoo.approvals import (
    CONFLICT_REASONS,
    ApprovalRefused,
    agent_logins_from,
    approve,
    approver_connection,
    reject,
)
from ledgerpilot.odoo.errors import OdooError
from ledgerpilot.odoo.links import record_url

log = logging.getLogger("ledgerpilot.web")

SESSION_COOKIE = "lp_session"
LOGIN_CSRF_COOKIE = "lp_login_csrf"
PAGE_SIZE = 50
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

SimilarCases = Callable[[Proposal], tuple[list[str], str | None]]


class PageError(Exception):
    """Ends a request with the error page: status, title, message, and an optional hint."""

    def __init__(self, status: int, title: str, message: str, hint: str = ""):
        super().__init__(message)
        self.status, self.title, self.message, self.hint = status, title, message, hint


@dataclass
class ApprovalPageConfig:
    """What the page needs: where Odoo is, who the agent is, and how it writes."""

    odoo: OdooConnection                       # the configured Odoo (URL, database, transport); its user is the agent
    write_connection: OdooConnection | None    # who writes approved proposals; None: approve only
    agent_logins: set[str]
    approval_groups: dict[str, str]
    session_idle_seconds: float = 1800.0
    session_max_seconds: float = 8 * 3600.0
    secure_cookies: bool = False               # set when the page is served over HTTPS
    apply_lease_seconds: float | None = None   # the claim's lease when the page writes (None: the default)
    signin_free_failures: int = 5              # failed sign-ins of one login before it is locked
    signin_free_failures_per_address: int = 20  # ... of one address (any login)
    signin_base_delay_seconds: float = 1.0     # the first lock; each further failure doubles it
    signin_max_delay_seconds: float = 900.0

    @classmethod
    def from_settings(cls, settings, *, odoo: OdooConnection | None = None,
                      writer: OdooConnection | None = None) -> ApprovalPageConfig:
        """From the settings; ``odoo``/``writer`` replace the configured connections (the demo's sandbox)."""
        explicit = odoo is not None
        odoo = odoo or settings.odoo_connection()
        if settings.web_apply_on_approve:
            writer = writer or (odoo if explicit else settings.odoo_write_connection())
        else:
            writer = None
        logins = agent_logins_from(settings) | {odoo.user} | ({writer.user} if writer else set())
        return cls(odoo=odoo, write_connection=writer, agent_logins=logins,
                   approval_groups=dict(settings.approval_groups),
                   session_idle_seconds=settings.web_session_idle_minutes * 60,
                   session_max_seconds=settings.web_session_max_hours * 3600,
                   secure_cookies=settings.web_url.startswith("https://"),
                   apply_lease_seconds=settings.apply_lease_seconds)


def _templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True))
    env.globals["kind_label"] = kind_label
    return Jinja2Templates(env=env)


def create_approval_app(config: ApprovalPageConfig, store: ProposalStore, audit: AuditLog, *,
                        similar_cases: SimilarCases | None = None, app: FastAPI | None = None) -> FastAPI:
    """The approval page's routes on ``app`` (a new FastAPI app when None)."""
    app = app or FastAPI(title="ledgerpilot approvals", docs_url=None, redoc_url=None, openapi_url=None)
    templates = _templates()
    sessions = SessionStore(idle_seconds=config.session_idle_seconds, max_age_seconds=config.session_max_seconds)
    app.state.approval_sessions = sessions
    throttle = SignInThrottle(free_per_login=config.signin_free_failures,
                              free_per_address=config.signin_free_failures_per_address,
                              base_delay=config.signin_base_delay_seconds, max_delay=config.signin_max_delay_seconds)

    def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        response = templates.TemplateResponse(request, name, {"session": None, **context}, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response

    def error_page(request: Request, exc: PageError) -> HTMLResponse:
        session = sessions.get(request.cookies.get(SESSION_COOKIE))
        return render(request, "error.html.j2", exc.status, session=session, title=exc.title, message=exc.message,
                    hint=exc.hint)

    def redirect(url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        response.headers.update(SECURITY_HEADERS)
        return response

    def current(request: Request) -> WebSession | None:
        return sessions.get(request.cookies.get(SESSION_COOKIE))

    def checked(request: Request, csrf: str | None) -> WebSession:
        session = current(request)
        if session is None:
            raise PageError(401, "Signed out", "Your session has ended (signed out or expired); nothing was "
                                               "decided.", "Sign in again and repeat the decision.")
        if not session.csrf_matches(csrf):
            raise PageError(403, "Form expired", "This form is not valid for your current session (it is "
                                                 "older than your sign-in, or came from another site); nothing "
                                                 "was decided.", "Open the proposal again and repeat the decision.")
        return session

    def load(proposal_id: str) -> Proposal:
        try:
            return store.get(proposal_id)
        except ProposalNotFound:
            raise PageError(404, "No such proposal", f"There is no proposal {proposal_id[:40]!r}.",
                            "It may have been removed; go back to the list.") from None

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError):
        return error_page(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        titles = {404: "Not found", 405: "Not allowed", 422: "Bad request"}
        return error_page(request, PageError(exc.status_code, titles.get(exc.status_code, "Error"),
                                             "This address does not exist." if exc.status_code == 404
                                             else str(exc.detail)))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        log.exception("approval page failed on %s", request.url.path)
        return error_page(request, PageError(500, "Something went wrong", "The page failed unexpectedly; nothing "
                                                                           "was decided. The error is in the log."))

    @app.get("/", include_in_schema=False)
    def home(request: Request):
        return redirect("/proposals" if current(request) else "/login")

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request):
        if current(request):
            return redirect("/proposals")
        return _login_page(request, status=200)

    def _login_page(request: Request, *, status: int, message: str = "", login: str = "") -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = render(request, "login.html.j2", status, csrf=token, message=message, login=login,
                        odoo_url=config.odoo.url, odoo_db=config.odoo.db)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=config.secure_cookies,
                            max_age=3600, path="/login")
        return response

    @app.post("/login", response_class=HTMLResponse)
    def login(request: Request, login: str = Form(""), password: str = Form(""), csrf: str = Form("")):
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not secrets.compare_digest(expected, csrf):
            return _login_page(request, status=403, login=login,
                               message="The sign-in form expired; please sign in again.")
        address = request.client.host if request.client else "?"
        lock = throttle.locked(login, address)
        if lock is not None:
            wait = max(1, math.ceil(lock.seconds))
            audit.record("sign_in_throttled", actor=login.strip() or "?", subject="approval page",
                         details={"login": login.strip(), "address": address, "why": lock.why,
                                  "retry_after_seconds": wait})
            response = _login_page(request, status=429, login=login,
                                   message=f"Too many failed sign-ins for this {lock.why}; try again in {wait} "
                                           f"second{'s' if wait != 1 else ''}. Nothing was checked.")
            response.headers["Retry-After"] = str(wait)
            return response
        try:
            who = sign_in(config.odoo, login, password, groups=approving_groups(config.approval_groups),
                          agent_logins=config.agent_logins)
        except SignInRefused as exc:
            audit.record("sign_in_refused", actor=login.strip() or "?", subject="approval page",
                         details={"reason": exc.reason, "address": address})
            if exc.reason != "group_check_failed":
                for started in throttle.failed(login, address):
                    audit.record("sign_in_locked", actor=login.strip() or "?", subject="approval page",
                                 details={"login": login.strip(), "address": address, "why": started.why,
                                          "locked_for_seconds": started.seconds})
            status = 403 if exc.reason in ("missing_group", "agent", "company") else 401
            if exc.reason == "group_check_failed":
                status = 502
            return _login_page(request, status=status, login=login, message=str(exc))
        except OdooError as exc:
            return _login_page(request, status=502, login=login, message=f"Odoo cannot be reached: {exc}")
        throttle.succeeded(login)
        session = sessions.open(login=who.login, uid=who.uid, name=who.name, secret=password)
        audit.record("sign_in", actor=who.login, subject="approval page", details={"uid": who.uid,
                                                                                    "groups": list(who.groups)})
        response = redirect("/proposals")
        response.set_cookie(SESSION_COOKIE, session.token, httponly=True, samesite="strict",
                            secure=config.secure_cookies, max_age=int(config.session_max_seconds))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str = Form("")):
        session = current(request)
        if session is not None and session.csrf_matches(csrf):
            sessions.close(session.token)
            audit.record("sign_out", actor=session.login, subject="approval page")
        response = redirect("/login")
        response.delete_cookie(SESSION_COOKIE)
        return response

    @app.get("/proposals", response_class=HTMLResponse)
    def pending(request: Request, page: int = 1, kind: str | None = None):
        session = current(request)
        if session is None:
            return redirect("/login")
        kind = kind or None
        total = store.count(state="proposed", kind=kind)
        pages = max(1, math.ceil(total / PAGE_SIZE))
        number = min(max(1, page), pages)
        proposals = store.list(state="proposed", kind=kind, newest_first=True, limit=PAGE_SIZE,
                               offset=(number - 1) * PAGE_SIZE)
        return render(request, "proposals.html.j2", session=session, rows=rows_of(proposals), total=total,
                    page=number, pages=pages, kind=kind, kinds=store.kinds(state="proposed"))

    @app.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    def show(request: Request, proposal_id: str, done: str | None = None):
        session = current(request)
        if session is None:
            return redirect("/login")
        proposal = load(proposal_id)
        return _detail(request, session, proposal, notice=_notice(done))

    def _detail(request: Request, session: WebSession, proposal: Proposal, *, status: int = 200,
                notice: tuple[str, str] | None = None) -> HTMLResponse:
        decision = store.decision(proposal.id)
        application = store.application(proposal.id)
        detail = detail_of(proposal, odoo_url=config.odoo.url, decision=decision.to_dict() if decision else None,
                           application=application.to_dict() if application else None,
                           requested_by=store.requesters(proposal.id))
        links = [] if application is None else [
            {"model": r.model, "id": r.id, "name": r.name or f"{r.model} {r.id}",
             "url": record_url(config.odoo.url, r.model, r.id)} for r in application.records]
        similar, similar_note = similar_cases(proposal) if similar_cases else ([], "Past cases are not searched here.")
        return render(request, "proposal.html.j2", status, session=session, d=detail, similar=similar,
                    similar_note=similar_note, application_links=links,
                    notice=notice[1] if notice else None, notice_class=notice[0] if notice else "")

    @app.post("/proposals/{proposal_id}/approve", response_class=HTMLResponse)
    def approve_it(request: Request, proposal_id: str, csrf: str = Form(""), comment: str = Form(""),
                   post: str = Form(""), post_shown: str = Form("")):
        session = checked(request, csrf)
        proposal = load(proposal_id)
        connection = approver_connection(config.odoo, session.login, session.secret)
        try:
            # the post box was on the form: ticked posts, unticked leaves a draft; no box: the kind's default
            chosen = (post == "1") if post_shown == "1" else None
            approve(store, audit, connection, proposal.id, post=chosen, note=comment.strip(),
                    agent_logins=config.agent_logins, approval_groups=config.approval_groups)
        except ApprovalRefused as exc:
            raise _refused_page("Not approved", exc) from None
        except OdooError as exc:
            raise PageError(502, "Odoo cannot be reached", f"Nothing was decided: {exc}") from None
        if config.write_connection is None:
            return redirect(f"/proposals/{proposal.id}?done=approved")
        return redirect(f"/proposals/{proposal.id}?done=" + _apply(proposal.id))

    def _apply(proposal_id: str) -> str:
        from ledgerpilot.odoo.connection import connect
        from ledgerpilot.odoo.write_back import ApplyBusy, ApplyRefused, apply_proposal

        try:
            client = connect(config.write_connection)
        except (OdooError, LedgerpilotError) as exc:
            log.warning("approved %s but could not connect to write it: %s", proposal_id, exc)
            return "approved-not-written"
        try:
            result = apply_proposal(client, store, audit, proposal_id, lease_seconds=config.apply_lease_seconds)
        except (ApplyBusy, ApplyRefused) as exc:
            log.info("approved %s; another applier is writing (or wrote) it: %s", proposal_id, exc)
            return "approved-written-elsewhere"
        except LedgerpilotError as exc:
            log.warning("approved %s but writing it failed: %s", proposal_id, exc)
            return "approved-not-written"
        finally:
            client.close()
        return "applied" if result.ok else "apply-failed"

    @app.post("/proposals/{proposal_id}/reject", response_class=HTMLResponse)
    def reject_it(request: Request, proposal_id: str, csrf: str = Form(""), comment: str = Form("")):
        session = checked(request, csrf)
        proposal = load(proposal_id)
        if not comment.strip():
            raise PageError(400, "A reason is needed", "A rejection needs a comment saying why; nothing was "
                                                       "decided.", "Go back and write why you reject it.")
        connection = approver_connection(config.odoo, session.login, session.secret)
        try:
            reject(store, audit, connection, proposal.id, note=comment.strip(), agent_logins=config.agent_logins,
                   approval_groups=config.approval_groups)
        except ApprovalRefused as exc:
            raise _refused_page("Not rejected", exc) from None
        except OdooError as exc:
            raise PageError(502, "Odoo cannot be reached", f"Nothing was decided: {exc}") from None
        return redirect(f"/proposals/{proposal.id}?done=rejected")

    return app


NOTICES = {
    "approved": ("ok", "Approved. It will be written to Odoo by `ledgerpilot proposals apply` or the schedule."),
    "applied": ("ok", "Approved and written to Odoo."),
    "apply-failed": ("error", "Approved, but Odoo refused the write; the reason is below. Nothing was half-written."),
    "approved-not-written": ("warn", "Approved, but Odoo could not be reached to write it; `ledgerpilot proposals "
                                     "apply` will write it later."),
    "approved-written-elsewhere": ("ok", "Approved. Another applier (the schedule or `ledgerpilot proposals "
                                         "apply`) took it to write it to Odoo; its outcome shows below."),
    "rejected": ("ok", "Rejected."),
}


def _refused_page(title: str, exc: ApprovalRefused) -> PageError:
    """A refused decision: 409 when someone decided first (at the same moment or before), else 403."""
    if exc.reason in CONFLICT_REASONS:
        return PageError(409, "Already decided", str(exc), "Reload the proposal to see the decision that was kept.")
    return PageError(403, title, str(exc))


def _notice(done: str | None) -> tuple[str, str] | None:
    return NOTICES.get(done or "")

"""The approval page: controllers sign in with Odoo and clear the queue of proposals.

Server-rendered pages (FastAPI + Jinja2, autoescaped, no script); the same rules as ``ledgerpilot
proposals``: Odoo checks the person's credentials and group at sign-in and again at each decision, the
proposer, whoever asked and the agent's own logins never approve, a rejection needs a comment.

The queue (``/proposals``) shows one item per finding (:mod:`ledgerpilot.channels.web.queue`): an
anomaly's note, activity and hold, an accrual and its reversal are one item, decided together, all or
none. Items sort and filter by risk, amount, kind, age, source and record; each has its evidence folded
under it and its own page (``/proposals/<id>``) with the figures, the records, past cases and what
approving writes, shown as Odoo shows it (a journal entry as its form), the exact call folded away.
Selected items are approved or rejected in one go (``POST /proposals/decide``).

Every form carries a CSRF token bound to the session; the session token lives in an HttpOnly,
SameSite=Strict cookie and nothing secret ever appears in a URL. An approved proposal is written to
Odoo at once (unless ``web_apply_on_approve`` is off), exactly once, through the same write-back as the
CLI. Every failure has its own page: not signed in (back to sign-in), expired form (403), unknown
proposal (404), refused decision (403), a decision someone else made first -- at the same moment or
earlier -- (409), Odoo unreachable (502), anything else (500). Refusals are audited.
"""

from __future__ import annotations

import datetime as dt
import json
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
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from ledgerpilot.approvals.decide import (
    CONFLICT_REASONS,
    ENTRY_KINDS,
    ApprovalRefused,
    OdooCheck,
    agent_logins_from,
    approver_connection,
    default_post,
    required_group_for,
)
from ledgerpilot.channels.web.decisions import BatchOutcome, ItemOutcome, Writer, decide_item
from ledgerpilot.channels.web.figures_view import figures_of
from ledgerpilot.channels.web.odoo_names import OdooNames
from ledgerpilot.channels.web.pending import PendingProposals
from ledgerpilot.channels.web.queue import (
    ITEM_KINDS,
    RISK_LEVELS,
    SOURCES,
    QueueQuery,
    age_words,
    item_of,
    kind_label,
)
from ledgerpilot.channels.web.queue import select as select_items
from ledgerpilot.channels.web.sessions import SessionStore, WebSession
from ledgerpilot.channels.web.signin import SignInRefused, approving_groups, sign_in
from ledgerpilot.channels.web.throttle import SignInThrottle
from ledgerpilot.channels.web.writes_view import PartView, money, wanted, write_view
from ledgerpilot.config import OdooConnection
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.memory.audit import AuditLog
from ledgerpilot.memory.proposal_store import ProposalNotFound, ProposalStore
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

    def __init__(self, status: int, title: str, message: str, hint: str = "", back: str = ""):
        super().__init__(message)
        self.status, self.title, self.message, self.hint, self.back = status, title, message, hint, back


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
        odoo = odoo or settings.odoo.connection()
        if settings.web.apply_on_approve:
            writer = writer or (odoo if explicit else settings.odoo.write_connection())
        else:
            writer = None
        logins = agent_logins_from(settings) | {odoo.user} | ({writer.user} if writer else set())
        return cls(odoo=odoo, write_connection=writer, agent_logins=logins,
                   approval_groups=dict(settings.approval.groups),
                   session_idle_seconds=settings.web.session_idle_minutes * 60,
                   session_max_seconds=settings.web.session_max_hours * 3600,
                   secure_cookies=settings.web.url.startswith("https://"),
                   apply_lease_seconds=settings.apply.lease_seconds)


def _templates() -> Jinja2Templates:
    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                      autoescape=select_autoescape(["html", "j2"], default=True))
    env.globals["kind_label"] = kind_label
    env.globals["money"] = lambda value: "" if value is None else money(value)
    env.globals["link"] = _query_string
    return Jinja2Templates(env=env)


def create_approval_app(config: ApprovalPageConfig, store: ProposalStore, audit: AuditLog, *,
                        similar_cases: SimilarCases | None = None, app: FastAPI | None = None,
                        names: OdooNames | None = None) -> FastAPI:
    """The approval page's routes on ``app`` (a new FastAPI app when None).

    ``names`` reads the names of the records the page shows (accounts, journals, partners) from Odoo; by
    default through the configured connection."""
    app = app or FastAPI(title="ledgerpilot approvals", docs_url=None, redoc_url=None, openapi_url=None)
    templates = _templates()
    names = names or OdooNames(config.odoo)
    pending_cache = PendingProposals(store)
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
                      hint=exc.hint, back=exc.back)

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
    def queue(request: Request, page: int = 1, risk: str | None = None, kind: str | None = None,
              source: str | None = None, record: str | None = None, age: str | None = None,
              sort: str | None = None, select: str | None = None):
        session = current(request)
        if session is None:
            return redirect("/login")
        query = QueueQuery.parse(risk=risk, kind=kind, source=source, record=record, age=age, sort=sort)
        every, waiting = pending_cache.items()
        now = dt.datetime.now(dt.UTC)
        chosen = select_items(every, query, now)
        pages = max(1, math.ceil(len(chosen) / PAGE_SIZE))
        number = min(max(1, page), pages)
        shown = chosen[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
        rows = [{"item": item, "age": age_words(item, now), "figures": figures_of(item.lead.evidence.figures),
                 "records": _links(item.records)} for item in shown]
        notices, session.notices = list(session.notices), []
        kinds = sorted({item.kind for item in every}, key=lambda k: ITEM_KINDS.get(k, k))
        sources = sorted({item.source for item in every}, key=lambda s: SOURCES.get(s, s))
        return render(request, "proposals.html.j2", session=session, items=rows, q=query, page=number, pages=pages,
                      total_items=len(every), total_proposals=waiting, matching=len(chosen),
                      shown_from=(number - 1) * PAGE_SIZE + 1 if shown else 0,
                      shown_to=(number - 1) * PAGE_SIZE + len(shown), select_all=select == "all",
                      kinds=[(k, ITEM_KINDS.get(k, k)) for k in kinds],
                      sources=[(s, SOURCES.get(s, s)) for s in sources],
                      risk_levels=RISK_LEVELS, ages=AGE_CHOICES, sorts=SORT_CHOICES,
                      any_entries=any(item.has_entries for item in shown), currency=names.currency(),
                      notices=notices)

    def _links(records) -> list[dict]:
        return [{"model": r.model, "id": r.id, "name": r.name or f"{r.model} {r.id}",
                 "url": record_url(config.odoo.url, r.model, r.id)} for r in records]

    @app.get("/proposals/{proposal_id}", response_class=HTMLResponse)
    def show(request: Request, proposal_id: str, done: str | None = None):
        session = current(request)
        if session is None:
            return redirect("/login")
        proposal = load(proposal_id)
        return _item_page(request, session, proposal, notice=_notice(done))

    def _item_page(request: Request, session: WebSession, proposal: Proposal, *, status: int = 200,
                   notice: tuple[str, str] | None = None) -> HTMLResponse:
        parts = store.by_finding(proposal.finding) or [proposal]
        requested = list(dict.fromkeys(r for part in parts for r in [part.requested_by, *store.requesters(part.id)]
                                       if r))
        item = item_of(parts, requested)
        book = names.names(wanted(parts))
        views = []
        for part in item.parts:
            decision = store.decision(part.id)
            application = store.application(part.id)
            views.append(PartView(
                proposal=part, kind_label=kind_label(part.kind), write=write_view(part, book),
                call=json.dumps(part.payload.model_dump(mode="json"), indent=2, ensure_ascii=False, sort_keys=True),
                decision=decision.to_dict() if decision else None,
                application=application.to_dict() if application else None,
                application_links=tuple(_links(application.records)) if application else ()))
        states = sorted({part.state for part in item.parts})
        state = states[0] if len(states) == 1 else ", ".join(
            f"{sum(1 for p in item.parts if p.state == s)} {s}" for s in states)
        waiting = [part for part in item.parts if part.state == "proposed"]
        similar, similar_note = similar_cases(proposal) if similar_cases else ([], "Past cases are not searched here.")
        now = dt.datetime.now(dt.UTC)
        entries = sum(1 for part in waiting if part.kind in ENTRY_KINDS)
        return render(request, "proposal.html.j2", status, session=session, item=item, parts=views, state=state,
                      waiting=len(waiting), can_post=entries > 0, entries=entries, age=age_words(item, now),
                      post_by_default=entries > 0 and all(default_post(p.kind) for p in waiting
                                                          if p.kind in ENTRY_KINDS),
                      requested_by=requested, groups=sorted({required_group_for(p, config.approval_groups)
                                                             for p in item.parts}),
                      figures=figures_of(item.lead.evidence.figures), records=_links(item.records),
                      similar=similar, similar_note=similar_note, currency=names.currency(),
                      names_note=book.note, notice=notice[1] if notice else None,
                      notice_class=notice[0] if notice else "")

    def _decide_one(request: Request, proposal_id: str, action: str, csrf: str, comment: str, post: bool | None):
        session = checked(request, csrf)
        proposal = load(proposal_id)
        if action == "reject" and not comment.strip():
            raise PageError(400, "A reason is needed", "A rejection needs a comment saying why; nothing was "
                                                       "decided.", "Go back and write why you reject it.")
        approver = approver_connection(config.odoo, session.login, session.secret)
        writer = Writer(config.write_connection, store, audit, config.apply_lease_seconds)
        try:
            outcome = decide_item(store, audit, approver, proposal.id, action, note=comment.strip(), post=post,
                                  agent_logins=config.agent_logins, approval_groups=config.approval_groups,
                                  check=OdooCheck(approver), writer=writer)
        finally:
            writer.close()
        if outcome.refused is not None:
            raise _refused_page("Not approved" if action == "approve" else "Not rejected", outcome.refused)
        if outcome.unreachable:
            raise PageError(502, "Odoo cannot be reached", f"Nothing was decided: {outcome.unreachable}")
        pending_cache.forget()
        return redirect(f"/proposals/{proposal.id}?done={outcome.done}")

    @app.post("/proposals/{proposal_id}/approve", response_class=HTMLResponse)
    def approve_it(request: Request, proposal_id: str, csrf: str = Form(""), comment: str = Form(""),
                   post: str = Form(""), post_shown: str = Form("")):
        # the post box was on the form: ticked posts, unticked leaves a draft; no box: each kind's default
        chosen = (post == "1") if post_shown == "1" else None
        return _decide_one(request, proposal_id, "approve", csrf, comment, chosen)

    @app.post("/proposals/{proposal_id}/reject", response_class=HTMLResponse)
    def reject_it(request: Request, proposal_id: str, csrf: str = Form(""), comment: str = Form("")):
        return _decide_one(request, proposal_id, "reject", csrf, comment, False)

    @app.post("/proposals/decide", response_class=HTMLResponse)
    async def decide_selected(request: Request):
        form = await request.form()
        return await run_in_threadpool(_decide_batch, request, form)

    def _decide_batch(request: Request, form) -> HTMLResponse:
        session = checked(request, str(form.get("csrf") or ""))
        action = str(form.get("action") or "")
        comment = str(form.get("comment") or "").strip()
        chosen = list(dict.fromkeys(str(v) for v in form.getlist("item")))[:MAX_BATCH]
        back = "/proposals" + _query_string({k[5:]: str(v) for k, v in form.multi_items()
                                             if k.startswith("back_") and k[5:] in BACK_KEYS})
        if action not in ("approve", "reject"):
            raise PageError(400, "No decision", "Neither approve nor reject was chosen; nothing was decided.")
        if not chosen:
            raise PageError(400, "Nothing selected", "No item was selected; nothing was decided.",
                            "Tick the items to decide, then press the button again.", back=back)
        if action == "reject" and not comment:
            raise PageError(400, "A reason is needed", "Rejecting needs a comment saying why; nothing was decided.",
                            "Go back, write why you reject them, and press Reject again.", back=back)
        approver = approver_connection(config.odoo, session.login, session.secret)
        check = OdooCheck(approver)
        writer = Writer(config.write_connection, store, audit, config.apply_lease_seconds)
        batch = BatchOutcome()
        try:
            for position, proposal_id in enumerate(chosen):
                try:
                    proposal = store.get(proposal_id)
                except ProposalNotFound:
                    batch.outcomes.append(ItemOutcome(proposal_id=proposal_id[:40], headline="", missing=True))
                    continue
                headline = item_of(store.by_finding(proposal.finding) or [proposal]).headline
                outcome = decide_item(store, audit, approver, proposal.id, action, note=comment,
                                      post=bool(form.get("post")), agent_logins=config.agent_logins,
                                      approval_groups=config.approval_groups, check=check, writer=writer,
                                      headline=headline, post_for=_posts_in_batch)
                batch.outcomes.append(outcome)
                if outcome.stops:
                    batch.skipped.extend(chosen[position + 1:])
                    break
        finally:
            writer.close()
            pending_cache.forget()
        audit.record("batch_decision", actor=session.login, subject="approval page",
                     details={"action": action, "items": len(chosen), "decided": len(batch.decided),
                              "refused": len(batch.refused), "not_reached": len(batch.skipped)})
        if batch.status == 200:
            session.notices.append(("ok", _batch_words(action, batch)))
            return redirect(back)
        return render(request, "batch.html.j2", batch.status, session=session, batch=batch, action=action,
                      back=back, notices=NOTICES, summary=_batch_words(action, batch))

    return app


#: the most items one batch decides (a page shows 50)
MAX_BATCH = 200
BACK_KEYS = ("risk", "kind", "source", "record", "age", "sort", "page")
AGE_CHOICES = (("", "any time"), ("1d", "1 day or more"), ("7d", "a week or more"), ("30d", "30 days or more"))
SORT_CHOICES = (("risk", "risk, highest first"), ("amount", "amount, largest first"), ("age", "waiting longest"),
                ("kind", "kind"), ("source", "source"), ("record", "record"))


def _query_string(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    kept = {k: v for k, v in params.items() if v}
    return "?" + urlencode(kept) if kept else ""


def _posts_in_batch(waiting: list[Proposal]) -> bool:
    """A batch posts an item's entries only when they are accruals and reversals (the close's own entries);
    an adjusting entry is posted from its own page."""
    entries = [p for p in waiting if p.kind in ENTRY_KINDS]
    return bool(entries) and all(p.kind in ("accrual", "reversal") for p in entries)


def _batch_words(action: str, batch: BatchOutcome) -> str:
    decided = batch.decided
    parts = sum(o.parts for o in decided)
    verb = "Approved" if action == "approve" else "Rejected"
    words = f"{verb} {len(decided)} item{'s' if len(decided) != 1 else ''} ({parts} proposal{'s' if parts != 1 else ''})"
    if action == "approve" and decided:
        written = sum(1 for o in decided if o.done == "applied")
        words += f"; {written} of them written to Odoo" if written != len(decided) else "; all written to Odoo"
        failed = sum(1 for o in decided if o.done == "apply-failed")
        later = sum(1 for o in decided if o.done in ("approved-not-written", "approved"))
        if failed:
            words += f"; Odoo refused to write {failed} (see each item)"
        if later:
            words += f"; {later} will be written later (`ledgerpilot proposals apply` or the schedule)"
    return words + "."


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

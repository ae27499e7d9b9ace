"""``ledgerpilot proposals ...``: review, approve, reject, apply and retry stored proposals.

Approvals are made by a named Odoo user: ``--user LOGIN`` and that user's password or API key,
asked with hidden input (or read from ``LEDGERPILOT_APPROVER_PASSWORD``), never taken from the
command line. Odoo checks the credentials and the group; the agent's own logins, the proposer and
whoever asked for the proposal never approve. IDs may be given by a unique prefix (as ``proposals
list`` shows them).
"""

from __future__ import annotations

import json
import os
from typing import Any, Optional

import typer
from rich.table import Table

from ledgerpilot.channels.cli.console import connected_client, console, json_option, print_json, safe
from ledgerpilot.channels.cli.tables import fit
from ledgerpilot.config import load_settings
from ledgerpilot.domain.proposal import Proposal
from ledgerpilot.errors import LedgerpilotError
from ledgerpilot.memory.audit import AuditLog, pull_hook
from ledgerpilot.memory.proposal_store import ProposalStore
from ledgerpilot.memory.state import StateDB

app = typer.Typer(help="Review, approve, reject and apply proposals (the only way anything is written to Odoo).",
                  no_args_is_help=True)

JsonOpt = json_option()
APPROVER_PASSWORD_ENV = "LEDGERPILOT_APPROVER_PASSWORD"
STATES = ("proposed", "approved", "rejected", "applying", "applied", "failed")


class ProposalsUsageError(LedgerpilotError):
    """A proposals command was given options that do not fit together."""

    exit_code = 2


def _open() -> tuple[Any, ProposalStore, AuditLog]:
    settings = load_settings()
    db = StateDB.in_home(settings.home)
    return settings, ProposalStore(db), AuditLog(db)


def _secret(login: str) -> str:
    secret = os.environ.get(APPROVER_PASSWORD_ENV)
    if secret:
        return secret
    return typer.prompt(f"Odoo password or API key of {login}", hide_input=True, err=True)


def proposal_json(store: ProposalStore, proposal: Proposal) -> dict[str, Any]:
    decision = store.decision(proposal.id)
    application = store.application(proposal.id)
    claim = store.claim_of(proposal.id) if proposal.state == "applying" else None
    return {**proposal.model_dump(mode="json"),
            "requested_by_all": store.requesters(proposal.id),
            "decision": decision.to_dict() if decision else None,
            "application": application.to_dict() if application else None,
            "attempts": [a.to_dict() for a in store.applications(proposal.id)],
            "retries": [r.to_dict() for r in store.retries(proposal.id)],
            "claim": claim.to_dict() if claim else None}


@app.command("list")
def list_(state: str | None = typer.Option(None, "--state", help=f"only this state ({', '.join(STATES)})"),
          kind: str | None = typer.Option(None, "--kind", help="only this kind (accrual, lock_date, ...)"),
          as_json: bool = JsonOpt) -> None:
    """Stored proposals, oldest first."""
    if state is not None and state not in STATES:
        raise ProposalsUsageError(f"--state {state!r} is not a state; states are {', '.join(STATES)}")
    _settings, store, _audit = _open()
    proposals = store.list(state=state, kind=kind)
    if as_json:
        print_json([proposal_json(store, p) for p in proposals])
        return
    out = console()
    if not proposals:
        filters = " ".join(f for f in (state and f"state {state}", kind and f"kind {kind}") if f)
        out.print(f"No proposals{' with ' + safe(filters) if filters else ''}.")
        return
    table = Table(show_lines=False)
    for column in ("id", "state", "kind", "created", "by", "title"):
        table.add_column(column)
    for proposal in proposals:
        decision = store.decision(proposal.id)
        table.add_row(proposal.id[:12], proposal.state, proposal.kind, proposal.created_at.strftime("%Y-%m-%d %H:%M"),
                      safe(decision.login) if decision else "", safe(proposal.title))
    out.print(fit(table, out))


@app.command("show")
def show(proposal_id: str = typer.Argument(..., help="the proposal's id (or a unique prefix)"),
         as_json: bool = JsonOpt) -> None:
    """One proposal: its payload, evidence, decision, application and what Odoo changed."""
    _settings, store, _audit = _open()
    proposal = store.get(store.resolve_id(proposal_id))
    data = proposal_json(store, proposal)
    if as_json:
        print_json(data)
        return
    out = console()
    out.print(f"[bold]{safe(proposal.title)}[/]")
    out.print(f"id {proposal.id}  kind {proposal.kind}  state [bold]{proposal.state}[/]")
    out.print(f"proposed {proposal.created_at.isoformat()} by {safe(proposal.created_by)} (run {safe(proposal.run_id)});"
              f" needs {proposal.required_group}")
    if data["requested_by_all"]:
        out.print(f"asked for by {safe(', '.join(data['requested_by_all']))} (they cannot approve it)")
    if data["claim"]:
        claim = data["claim"]
        out.print(f"being applied by {safe(claim['owner'])} (attempt {claim['attempt']}, lease until "
                  f"{claim['lease_until']})")
    out.print(f"idempotency key {proposal.idempotency_key[:12]}")
    out.print(f"\n{safe(proposal.summary)}\n")
    out.print(f"[bold]Odoo call[/] {proposal.payload.model}.{proposal.payload.method}")
    out.print(safe(json.dumps(data["payload"], indent=2, ensure_ascii=False)))
    if proposal.evidence.records or proposal.evidence.figures:
        out.print("[bold]Evidence[/]")
        for ref in proposal.evidence.records:
            out.print(f"  {ref.model} {ref.id} {safe(ref.name)}")
        for name, value in data["evidence"]["figures"].items():
            out.print(f"  {safe(name)}: {safe(value)}")
    decision = data["decision"]
    if decision:
        post = " (post)" if decision["post"] else ""
        out.print(f"[bold]Decision[/] {decision['decision']}{post} by {safe(decision['login'])} "
                  f"(Odoo uid {decision['uid']}) at {decision['decided_at']}"
                  + (f": {safe(decision['note'])}" if decision["note"] else ""))
    application = data["application"]
    if application:
        records = ", ".join(f"{r['model']} {r['id']} {safe(r['name'])}".strip() for r in application["records"])
        adopted = " (adopted: found in Odoo by its idempotency key)" if application["adopted"] else ""
        out.print(f"[bold]Application[/] {application['state']} at {application['applied_at']} by "
                  f"{safe(application['written_by'])}: {records or 'no record'}{adopted}")
        if application["error"]:
            out.print(f"  [red]error:[/] {safe(application['error'])}")
        for difference in application["differences"]:
            out.print(f"  [yellow]Odoo changed:[/] {safe(difference)}")
    for retry in data["retries"]:
        out.print(f"[bold]Retried[/] by {safe(retry['login'])} at {retry['retried_at']}"
                  + (f": {safe(retry['note'])}" if retry["note"] else "")
                  + (f" (it had failed: {safe(retry['previous_error'])})" if retry["previous_error"] else ""))
    if len(data["attempts"]) > 1:
        out.print(f"{len(data['attempts'])} attempts: " + ", ".join(a["state"] for a in data["attempts"]))
    if proposal.state == "failed":
        out.print(f"Once the cause is fixed, `ledgerpilot proposals retry {proposal.id[:12]} --user LOGIN` sends it "
                  "back to approved.")


@app.command("approve")
def approve_cmd(proposal_id: str = typer.Argument(..., help="the proposal's id (or a unique prefix)"),
                user: str = typer.Option(..., "--user", help="the approver's Odoo login"),
                post: Optional[bool] = typer.Option(
                    None, "--post/--draft", help="journal entries: post the entry once written, or leave it a draft "
                                                 "(default: accruals and reversals are posted, other entries drafts)"),
                note: str = typer.Option("", "--note", help="why, for the record")) -> None:
    """Approve a proposal as the Odoo user LOGIN (password asked, never on the command line)."""
    from ledgerpilot.approvals.decide import ENTRY_KINDS, agent_logins_from, approve, approver_connection

    settings, store, audit = _open()
    full_id = store.resolve_id(proposal_id)
    if post is False and store.get(full_id).kind not in ENTRY_KINDS:
        post = None                          # --draft on something that is no entry: there is nothing to post
    connection = approver_connection(settings.odoo.connection(), user, _secret(user))
    decision = approve(store, audit, connection, full_id, post=post, note=note,
                       agent_logins=agent_logins_from(settings), approval_groups=settings.approval.groups)
    kind = store.get(full_id).kind
    how = (", to be posted" if decision.post else ", to be written as a draft") if kind in ENTRY_KINDS else ""
    console().print(f"approved {full_id[:12]} by {safe(decision.login)} (Odoo uid {decision.uid}){how}; "
                    f"`ledgerpilot proposals apply {full_id[:12]}` writes it to Odoo")


@app.command("reject")
def reject_cmd(proposal_id: str = typer.Argument(..., help="the proposal's id (or a unique prefix)"),
               user: str = typer.Option(..., "--user", help="the reviewer's Odoo login"),
               note: str = typer.Option(..., "--note", help="why it is rejected")) -> None:
    """Reject a proposal as the Odoo user LOGIN, with a note saying why."""
    from ledgerpilot.approvals.decide import agent_logins_from, approver_connection, reject

    settings, store, audit = _open()
    full_id = store.resolve_id(proposal_id)
    connection = approver_connection(settings.odoo.connection(), user, _secret(user))
    decision = reject(store, audit, connection, full_id, note=note, agent_logins=agent_logins_from(settings),
                      approval_groups=settings.approval.groups)
    console().print(f"rejected {full_id[:12]} by {safe(decision.login)} (Odoo uid {decision.uid})")


@app.command("retry")
def retry_cmd(proposal_id: str = typer.Argument(..., help="the failed proposal's id (or a unique prefix)"),
              user: str = typer.Option(..., "--user", help="the approver's Odoo login"),
              note: str = typer.Option("", "--note", help="what was fixed, for the record")) -> None:
    """Send a failed proposal back to approved once the cause is fixed (an approver, checked by Odoo); the next
    apply writes it, adopting whatever the failed attempt left in Odoo."""
    from ledgerpilot.approvals.decide import agent_logins_from, approver_connection, retry

    settings, store, audit = _open()
    full_id = store.resolve_id(proposal_id)
    connection = approver_connection(settings.odoo.connection(), user, _secret(user))
    done = retry(store, audit, connection, full_id, note=note, agent_logins=agent_logins_from(settings),
                 approval_groups=settings.approval.groups)
    console().print(f"retried {full_id[:12]} by {safe(done.login)} (Odoo uid {done.uid}): approved again; "
                    f"`ledgerpilot proposals apply {full_id[:12]}` writes it to Odoo")


@app.command("apply")
def apply_cmd(proposal_id: str | None = typer.Argument(None, help="the proposal's id (or a unique prefix)"),
              all_approved: bool = typer.Option(False, "--all-approved", help="apply every approved proposal (and "
                                                "those whose applier died)"),
              as_json: bool = JsonOpt) -> None:
    """Write approved proposal(s) to Odoo, exactly once, and report what Odoo changed.

    Several appliers (this command in other terminals, the approval page, serve) may run at once: each
    proposal is claimed by one of them; with --all-approved the others skip it and say who holds it."""
    from ledgerpilot.approvals.apply import Skipped, apply_claimable, apply_proposal

    if (proposal_id is None) == (not all_approved):
        raise ProposalsUsageError("give either a proposal id or --all-approved (not both)")
    settings, store, audit = _open()
    lease = settings.apply.lease_seconds
    results: list[Any] = []
    full_id = store.resolve_id(proposal_id) if proposal_id else None
    if full_id is not None or store.claimable():
        connection = settings.odoo.write_connection()
        with connected_client(connection, settings.cache_dir, show_progress=not as_json) as (client, step):
            client.pull_hook = pull_hook(audit, connection.user)
            if full_id is not None:
                step(f"applying {full_id[:12]}")
                results.append(apply_proposal(client, store, audit, full_id, lease_seconds=lease))
            else:
                results = apply_claimable(client, store, audit, lease_seconds=lease, on_start=lambda pid, index, total:
                                          step(f"applying {pid[:12]} ({index} of {total})", (index - 1) / total))
    if as_json:
        print_json([r.to_dict() for r in results])
    else:
        out = console()
        if not results:
            out.print("No approved proposal to apply.")
        for result in results:
            if isinstance(result, Skipped):
                out.print(f"{result.proposal_id[:12]}: skipped: {safe(result.reason)}")
                continue
            p = result.proposal
            if result.ok:
                records = ", ".join(f"{r.model} {r.id}{' ' + safe(r.name) if r.name else ''}" for r in result.records)
                how = "adopted (already in Odoo, found by its idempotency key)" if result.adopted else "written"
                out.print(f"{p.id[:12]} {p.kind}: applied, {how}: {records}")
                for difference in result.differences:
                    out.print(f"  [yellow]Odoo changed:[/] {safe(difference)}")
            else:
                out.print(f"{p.id[:12]} {p.kind}: [red]failed[/]: {safe(result.error)}; once the cause is fixed, "
                          f"`ledgerpilot proposals retry {p.id[:12]} --user LOGIN` sends it back to approved")
    if any(not isinstance(r, Skipped) and not r.ok for r in results):
        raise typer.Exit(1)

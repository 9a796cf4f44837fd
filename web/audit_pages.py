"""The audit log for admins: search it by what, who, which thing, where from and when; export what is found."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from sqlmodel import Session

from capacity import audit, clock, vocab
from capacity.audit import Action, AuditEvent
from capacity.models import User
from capacity.vocab import Role
from web import accounts
from web.authz import Permission
from web.deps import SessionDep, require
from web.downloads import csv_download
from web.pages import render

router = APIRouter(prefix="/admin", include_in_schema=False)
Auditor = Annotated[User, Depends(require(Permission.read_audit))]
PAGE = 100

GROUPS = {
    "auth": "Log-ins and log-outs",
    "authz": "Refused: not allowed",
    "view": "Views of addresses and needs",
    "request": "Requests",
    "hold": "Holds",
    "placement": "Placements",
    "bed": "Beds",
    "house": "Houses",
    "admin": "Administration",
    "export": "Exports",
    "retention": "Retention",
}
OBJECT_TYPES = ("account", "request", "hold", "placement", "house", "bed", "organisation")
COLUMNS = [
    "id",
    "at",
    "actor_id",
    "actor_email",
    "actor_role",
    "client",
    "action",
    "object_type",
    "object_id",
    "detail",
]


ACTION_WORDS = {
    Action.login: "Logged in",
    Action.login_failed: "Log-in failed",
    Action.login_throttled: "Log-in refused: too many failures",
    Action.second_factor_enrolled: "Second factor turned on",
    Action.password_changed: "Password changed",
    Action.logout: "Logged out",
    Action.sessions_ended: "Sessions ended",
    Action.denied: "Refused: not allowed",
    Action.view_address: "Saw a safe-house address",
    Action.view_needs: "Saw a person's needs",
    Action.request_created: "Request made",
    Action.request_fallback: "Request closed: went elsewhere",
    Action.hold_created: "Hold made",
    Action.hold_accepted: "Hold accepted",
    Action.hold_declined: "Hold declined",
    Action.hold_cancelled: "Hold cancelled",
    Action.hold_expired: "Hold lapsed",
    Action.placement_started: "Placement started",
    Action.placement_decision: "NRM decision recorded",
    Action.placement_moved_on: "Moved on",
    Action.bed_status: "Bed status changed",
    Action.beds_added: "Beds added",
    Action.house_created: "House added",
    Action.house_changed: "House details changed",
    Action.house_confirmed: "Vacancies confirmed",
    Action.houses_imported: "Houses imported",
    Action.organisation_created: "Organisation registered",
    Action.organisation_changed: "Organisation changed",
    Action.account_created: "Account created",
    Action.account_changed: "Account changed",
    Action.export: "Exported",
    Action.purge: "Request details purged",
}


_BY_VALUE = {str(kind): text for kind, text in ACTION_WORDS.items()}


def _words(action: str) -> str:
    """An action as a person reads it."""
    return _BY_VALUE.get(action, action)


def _day(text: str, field: str, problems: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[field] = "Give a date as YYYY-MM-DD."
        return None


def _number(text: str, field: str, problems: dict[str, str]) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        problems[field] = "Give a whole number."
        return None
    return int(text)


class Filters:
    """The search form as sent, checked: what it asks for, and the problems with it by field."""

    def __init__(
        self,
        action: Annotated[str, Query(max_length=40)] = "",
        account: Annotated[str, Query(max_length=254)] = "",
        object_type: Annotated[str, Query(max_length=32)] = "",
        object_id: Annotated[str, Query(max_length=12)] = "",
        client: Annotated[str, Query(max_length=64)] = "",
        start: Annotated[str, Query(alias="from", max_length=10)] = "",
        end: Annotated[str, Query(alias="to", max_length=10)] = "",
        before: Annotated[str, Query(max_length=12)] = "",
    ) -> None:
        self.form = {
            "action": action,
            "account": account.strip(),
            "object_type": object_type,
            "object_id": object_id.strip(),
            "client": client.strip(),
            "from": start,
            "to": end,
        }
        self.problems: dict[str, str] = {}
        if action and action not in GROUPS and action not in set(Action):
            self.problems["action"] = "Choose one of the kinds of event."
        if object_type and object_type not in OBJECT_TYPES:
            self.problems["object_type"] = "Choose one of the kinds of thing."
        self.before = _number(before, "before", self.problems)
        since, until = _day(start, "from", self.problems), _day(end, "to", self.problems)
        if since and until and until < since:
            self.problems["to"] = "The end comes before the start."
        self.search = audit.Search(
            action=action if "action" not in self.problems else "",
            object_type=object_type if "object_type" not in self.problems else "",
            object_id=_number(self.form["object_id"], "object_id", self.problems),
            client=self.form["client"],
            since=datetime.combine(since, time(), UTC) if since else None,
            until=datetime.combine(until + timedelta(days=1), time(), UTC) if until else None,
        )

    def with_account(self, session: Session) -> audit.Search | None:
        """The search, with the account named by email or id; None if there is no such account."""
        named = self.form["account"]
        if not named:
            return self.search
        found = accounts.get_user(session=session, user_id=int(named)) if named.isdigit() and len(named) < 10 else None
        found = found or accounts.get_user_by_email(session=session, email=named)
        if found is None:
            self.problems["account"] = "No account has that email or number."
            return None
        return replace(self.search, actor_id=found.id)

    def query(self, **extra: str) -> dict[str, str]:
        """The form as a query string's fields (for the next page and the download)."""
        return {name: value for name, value in (self.form | extra).items() if value}


def _emails(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    ids = {event.actor_id for event in events if event.actor_id is not None}
    return {user.id: user.email for user in accounts.get_all_users(session=session) if user.id in ids}


@router.get("/audit", name="admin_audit")
def admin_audit(
    request: Request, user: Auditor, session: SessionDep, filters: Annotated[Filters, Depends()]
) -> Response:
    """The newest events that match, a page at a time; every refusal and every view of a secret is here."""
    wanted = filters.with_account(session)
    events = [] if wanted is None or filters.problems else audit.search(session, wanted, before_id=filters.before)
    older = events[-1].id if len(events) == PAGE else None
    context: dict[str, Any] = {
        "user": user,
        "events": events,
        "emails": _emails(session, events),
        "words": _words,
        "role_words": {str(role): vocab.label(role) for role in Role},
        "form": filters.form,
        "problems": filters.problems,
        "groups": GROUPS,
        "actions": sorted(Action, key=lambda action: ACTION_WORDS[action]),
        "object_types": OBJECT_TYPES,
        "older": filters.query(before=str(older)) if older else None,
        "download": filters.query(),
        "paged": filters.before is not None,
    }
    status_code = 422 if filters.problems else 200
    return render(request, "admin/audit.html", context, block="events", status_code=status_code)


@router.get("/audit.csv", name="admin_audit_csv")
def admin_audit_csv(user: Auditor, session: SessionDep, filters: Annotated[Filters, Depends()]) -> Response:
    """Every event that matches, as CSV (the export itself is recorded, like any other)."""
    wanted = filters.with_account(session)
    if wanted is None or filters.problems:
        detail = [
            {"loc": ["query", field], "msg": words, "type": "value_error"} for field, words in filters.problems.items()
        ]
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail)
    events = audit.search(session, wanted, limit=None)
    emails = _emails(session, events)
    rows = (
        [
            event.id,
            event.at.isoformat(),
            event.actor_id,
            emails.get(event.actor_id or 0, ""),
            event.actor_role,
            event.client,
            event.action,
            event.object_type,
            event.object_id,
            event.detail,
        ]
        for event in events
    )
    name = f"safebeds-audit-{clock.now():%Y%m%d-%H%M%S}.csv"
    return csv_download(session, filename=name, columns=COLUMNS, rows=rows, what="audit log")

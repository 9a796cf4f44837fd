"""The audit log: who did or saw what sensitive thing, when, and from where; written, never changed.

An event is added to the same database session as the action it records, so the two are committed
together or not at all: the services call `record` before they commit. Views, which change nothing,
are recorded and committed by the page or endpoint that shows them.

Who and from where come from the session's `info`, set once per web request (`set_actor`), so that
the services need not be told; a service that knows better (the provider accepting a hold) may say.
An event without an actor was done by SafeBeds itself: a hold lapsing, a scheduled purge, the demo.

Nothing in the app updates or deletes an event: the ORM refuses to flush such a change, and the
database refuses it too (triggers on SQLite and PostgreSQL; on PostgreSQL the app's role should also
be granted only INSERT and SELECT on the table: see docs/security.md).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Field, Session, SQLModel, col, select

from capacity import clock
from capacity.errors import DomainError
from capacity.models import User, UTCDateTime
from capacity.vocab import BedStatus

ACTOR_KEY = "safebeds.audit.actor"
MAX_DETAIL = 500


class Action(StrEnum):
    """What happened, grouped by its first word."""

    login = "auth.login"
    login_failed = "auth.login_failed"
    login_throttled = "auth.login_throttled"
    second_factor_enrolled = "auth.second_factor_enrolled"
    password_changed = "auth.password_changed"
    logout = "auth.logout"
    sessions_ended = "auth.sessions_ended"
    denied = "authz.denied"
    view_address = "view.address"
    view_needs = "view.needs"
    request_created = "request.created"
    request_fallback = "request.fallback"
    hold_created = "hold.created"
    hold_accepted = "hold.accepted"
    hold_declined = "hold.declined"
    hold_cancelled = "hold.cancelled"
    hold_expired = "hold.expired"
    placement_started = "placement.started"
    placement_decision = "placement.decision"
    placement_moved_on = "placement.moved_on"
    bed_status = "bed.status"
    beds_added = "bed.added"
    house_created = "house.created"
    house_changed = "house.changed"
    house_confirmed = "house.confirmed"
    houses_imported = "house.imported"
    organisation_created = "admin.organisation_created"
    organisation_changed = "admin.organisation_changed"
    account_created = "admin.account_created"
    account_changed = "admin.account_changed"
    export = "export"
    purge = "retention.purge"


class AuditEvent(SQLModel, table=True):
    """One thing that happened. Never a name, a story or an address: ids and words only."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_actor_at", "actor_id", "at"),
        sa.Index("ix_audit_event_object_action_at", "object_id", "action", "at"),
        sa.Index("ix_audit_event_client_action_at", "client", "action", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, description="The account that acted; none for SafeBeds itself")
    actor_role: str | None = Field(default=None, max_length=32)
    client: str | None = Field(default=None, max_length=64, description="The network address it came from")
    action: str = Field(max_length=40, index=True)
    object_type: str | None = Field(default=None, max_length=32)
    object_id: int | None = Field(default=None)
    detail: str = Field(default="", max_length=MAX_DETAIL)


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str | None
    client: str | None


def set_actor(session: Session, *, user: User | None, client: str | None) -> None:
    """Say who is acting, and from where, for every event recorded in this session from now on."""
    session.info[ACTOR_KEY] = Actor(
        user_id=user.id if user else None, role=str(user.role) if user else None, client=client
    )


def actor_of(session: Session) -> Actor:
    found = session.info.get(ACTOR_KEY)
    return found if isinstance(found, Actor) else Actor(user_id=None, role=None, client=None)


def bed_status_detail(house_id: int, was: StrEnum, to: StrEnum) -> str:
    """The words of a bed status change: its house, and the statuses from and to (read back by `parse_bed_status`)."""
    return f"house {house_id}: {was} to {to}"


def parse_bed_status(detail: str) -> tuple[BedStatus, BedStatus] | None:
    """The statuses from and to of a bed status change's words, if they are such words."""
    found = re.fullmatch(r"house \d+: (\w+) to (\w+)", detail)
    if found is None or not {found[1], found[2]} <= set(BedStatus):
        return None
    return BedStatus(found[1]), BedStatus(found[2])


def record(
    session: Session,
    action: Action,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: str = "",
    user: User | None = None,
    by_safebeds: bool = False,
) -> AuditEvent:
    """Add an event to the session, to be committed with the action it records.

    `user` overrides the actor; `by_safebeds` says SafeBeds itself did it (a hold lapsing), whoever's
    request happened to make it notice.
    """
    actor = actor_of(session)
    if user is not None:
        actor = Actor(user_id=user.id, role=str(user.role), client=actor.client)
    if by_safebeds:
        actor = Actor(user_id=None, role=None, client=None)
    entry = AuditEvent(
        at=clock.now(),
        actor_id=actor.user_id,
        actor_role=actor.role,
        client=(actor.client or "")[:64] or None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:MAX_DETAIL],
    )
    session.add(entry)
    return entry


def record_each(
    session: Session, action: Action, *, object_type: str, object_ids: Iterable[int | None], detail: str = ""
) -> None:
    """One event for each object (a page that shows five addresses records five views)."""
    for object_id in dict.fromkeys(object_ids):
        if object_id is not None:
            record(session, action, object_type=object_type, object_id=object_id, detail=detail)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> str:
    """Name the fields that changed, never their values (a value may be an address)."""
    names = sorted(name for name in after if before.get(name) != after[name])
    return "changed: " + ", ".join(names) if names else "no change"


class AuditIsAppendOnly(DomainError):
    pass


@event.listens_for(OrmSession, "before_flush")
def _refuse_changes(session: OrmSession, _context: Any, _instances: Any) -> None:
    for instance in (*session.dirty, *session.deleted):
        if isinstance(instance, AuditEvent) and (instance in session.deleted or session.is_modified(instance)):
            raise AuditIsAppendOnly("the audit log is append-only: an event cannot be changed or deleted")


@dataclass(frozen=True)
class Search:
    """What to look for in the log; every part optional."""

    action: str = ""  # an action ("hold.accepted") or the group before its dot ("hold")
    actor_id: int | None = None
    object_type: str = ""
    object_id: int | None = None
    client: str = ""
    since: datetime | None = None
    until: datetime | None = None


def search(
    session: Session, wanted: Search, *, before_id: int | None = None, limit: int | None = 100
) -> list[AuditEvent]:
    """Events matching `wanted`, newest first; `before_id` pages back from an earlier page's last event."""
    query = select(AuditEvent)
    if wanted.action:
        exact = col(AuditEvent.action) == wanted.action
        query = query.where(
            exact if "." in wanted.action else sa.or_(exact, col(AuditEvent.action).startswith(wanted.action + "."))
        )
    if wanted.actor_id is not None:
        query = query.where(col(AuditEvent.actor_id) == wanted.actor_id)
    if wanted.object_type:
        query = query.where(col(AuditEvent.object_type) == wanted.object_type)
    if wanted.object_id is not None:
        query = query.where(col(AuditEvent.object_id) == wanted.object_id)
    if wanted.client:
        query = query.where(col(AuditEvent.client) == wanted.client)
    if wanted.since is not None:
        query = query.where(col(AuditEvent.at) >= wanted.since)
    if wanted.until is not None:
        query = query.where(col(AuditEvent.at) < wanted.until)
    if before_id is not None:
        query = query.where(col(AuditEvent.id) < before_id)
    query = query.order_by(col(AuditEvent.id).desc())
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query))

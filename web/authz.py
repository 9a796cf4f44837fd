"""Authorisation, decided here and nowhere else: what each role may do, and to whose things."""

from enum import StrEnum

from capacity.models import House, Organisation, User
from capacity.vocab import Role
from matching.models import Hold, HoldStatus, Placement, PlacementRequest


class Permission(StrEnum):
    read_vocabularies = "read_vocabularies"
    read_organisations = "read_organisations"
    manage_organisations = "manage_organisations"
    edit_own_organisation = "edit_own_organisation"
    search_houses = "search_houses"
    manage_own_houses = "manage_own_houses"
    manage_any_house = "manage_any_house"
    read_capacity_report = "read_capacity_report"
    manage_users = "manage_users"
    make_requests = "make_requests"
    view_queue = "view_queue"
    allocate_queue = "allocate_queue"
    read_audit = "read_audit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.officer: frozenset(
        {
            Permission.read_vocabularies,
            Permission.read_organisations,
            Permission.search_houses,
            Permission.make_requests,
        }
    ),
    Role.provider: frozenset(
        {
            Permission.read_vocabularies,
            Permission.read_organisations,
            Permission.edit_own_organisation,
            Permission.manage_own_houses,
        }
    ),
    Role.commissioner: frozenset({Permission.read_vocabularies, Permission.read_capacity_report}),
    # Allocates the whole queue: sees every open request's needs and priority (never its case
    # reference) and every house as an officer does (never an address).
    Role.coordinator: frozenset(
        {
            Permission.read_vocabularies,
            Permission.read_organisations,
            Permission.search_houses,
            Permission.view_queue,
            Permission.allocate_queue,
        }
    ),
    Role.admin: frozenset(Permission),
}


def has_permission(user: User, permission: Permission) -> bool:
    """True when the user's role grants the permission."""
    return permission in ROLE_PERMISSIONS[Role(user.role)]


def can_read_houses(user: User) -> bool:
    """True for roles that see houses at all (commissioners see aggregates only)."""
    return any(
        has_permission(user, p)
        for p in (Permission.search_houses, Permission.manage_own_houses, Permission.manage_any_house)
    )


def can_manage_house(user: User, house: House) -> bool:
    """Admins manage every house; provider staff only their own organisation's."""
    if has_permission(user, Permission.manage_any_house):
        return True
    return has_permission(user, Permission.manage_own_houses) and house.organisation_id == user.organisation_id


def can_read_house(user: User, house: House) -> bool:
    """Officers read every house (without address); provider staff their own; admins all."""
    return has_permission(user, Permission.search_houses) or can_manage_house(user, house)


def can_see_address(user: User, house: House) -> bool:
    """A safe-house address is for its own organisation and admins (later: the officer of an accepted placement)."""
    return can_manage_house(user, house)


def can_add_house_to(user: User, organisation: Organisation) -> bool:
    """Admins add houses to any organisation; provider staff to their own."""
    if has_permission(user, Permission.manage_any_house):
        return True
    return has_permission(user, Permission.manage_own_houses) and organisation.id == user.organisation_id


def can_edit_organisation(user: User, organisation: Organisation) -> bool:
    """Admins edit every organisation; provider staff their own."""
    if has_permission(user, Permission.manage_organisations):
        return True
    return has_permission(user, Permission.edit_own_organisation) and organisation.id == user.organisation_id


def can_read_request(user: User, request: PlacementRequest) -> bool:
    """Admins read every request; officers those of their own organisation (a colleague may take over a case)."""
    if has_permission(user, Permission.manage_any_house):
        return True
    return has_permission(user, Permission.make_requests) and request.organisation_id == user.organisation_id


def can_read_hold(user: User, *, request: PlacementRequest, house: House) -> bool:
    """A hold is seen by the officers of the request's organisation, the house's provider, and admins."""
    return can_read_request(user, request) or can_manage_house(user, house)


def can_see_hold_address(user: User, hold: Hold, placement: Placement | None) -> bool:
    """The address goes to the officer whose hold was accepted, until the placement ends; to nobody else this way."""
    live = placement is not None and placement.ended_at is None
    return hold.status == HoldStatus.accepted and live and user.id == hold.officer_id


def can_read_placement(user: User, *, request: PlacementRequest, house: House) -> bool:
    """A placement is seen by the officers of the request's organisation, the house's provider, and admins."""
    return can_read_request(user, request) or can_manage_house(user, house)


def can_update_placement(user: User, *, house: House) -> bool:
    """NRM decisions and move-on are recorded by the house's provider (who supports the person) or an admin."""
    return can_manage_house(user, house)


def can_see_hold_needs(user: User, hold: Hold, *, request: PlacementRequest) -> bool:
    """A provider sees a person's needs while a hold on its house is live; the request's officers always do."""
    return can_read_request(user, request) or hold.status in (HoldStatus.waiting, HoldStatus.accepted)

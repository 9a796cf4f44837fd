"""Accounts: admins create, change and disable them."""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status

from capacity.models import StrictInput, User, UserPublic
from capacity.vocab import Role
from web import accounts
from web.accounts import UserCreate
from web.authz import Permission
from web.deps import PathId, SessionDep, require

router = APIRouter(prefix="/users", tags=["users"])
AdminUser = Annotated[User, Depends(require(Permission.manage_users))]


class UserUpdate(StrictInput):
    role: Role | None = None
    is_active: bool | None = None


@router.get("", response_model=list[UserPublic])
def list_users(session: SessionDep, admin: AdminUser) -> list[User]:
    """Every account, by email."""
    return list(accounts.get_all_users(session=session))


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, session: SessionDep, admin: AdminUser) -> User:
    """Create an account in an organisation."""
    return accounts.create_user(session=session, data=data)


@router.patch("/{user_id}", response_model=UserPublic)
def update_user(user_id: PathId, data: UserUpdate, session: SessionDep, admin: AdminUser) -> User:
    """Change an account's role, or disable it (which ends its sessions at once)."""
    user = accounts.get_user(session=session, user_id=user_id)
    if user is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user with id {user_id}")
    accounts.check_own_change(actor=admin, user=user, role=data.role, is_active=data.is_active)
    return accounts.update_user(session=session, user=user, role=data.role, is_active=data.is_active)

"""The fixed vocabularies, with the words people read for each value."""

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import SQLModel

from capacity import vocab
from capacity.models import User
from web.authz import Permission
from web.deps import require

router = APIRouter(prefix="/vocabularies", tags=["vocabularies"])


class Term(SQLModel):
    code: str
    label: str
    description: str | None = None


class AreaTerm(Term):
    region: str


class Vocabularies(SQLModel):
    areas: list[AreaTerm]
    genders: list[Term]
    nrm_stages: list[Term]
    exploitation_types: list[Term]
    support_needs: list[Term]
    organisation_types: list[Term]
    bed_statuses: list[Term]
    roles: list[Term]
    common_languages: list[Term]


def _terms(values: type[StrEnum]) -> list[Term]:
    return [Term(code=v.value, label=vocab.label(v), description=vocab.DESCRIPTIONS.get(v)) for v in values]


def vocabularies() -> Vocabularies:
    """Every fixed vocabulary, each value with its words; the API and the admin's pages both show this."""
    return Vocabularies(
        areas=[AreaTerm(code=a.value, label=vocab.label(a), region=vocab.region_of(a).value) for a in vocab.Area],
        genders=_terms(vocab.Gender),
        nrm_stages=_terms(vocab.NrmStage),
        exploitation_types=_terms(vocab.ExploitationType),
        support_needs=_terms(vocab.SupportNeed),
        organisation_types=_terms(vocab.OrganisationType),
        bed_statuses=_terms(vocab.BedStatus),
        roles=_terms(vocab.Role),
        common_languages=[Term(code=c, label=vocab.language_name(c)) for c in vocab.COMMON_LANGUAGES],
    )


@router.get("", response_model=Vocabularies)
def get_vocabularies(user: Annotated[User, Depends(require(Permission.read_vocabularies))]) -> Vocabularies:
    """Every fixed vocabulary; languages accept any ISO 639 code, the common ones are listed."""
    return vocabularies()

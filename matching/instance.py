"""A snapshot to allocate: houses with free beds, requests, and the links between requests.

The database builds one of these and the solver answers it; `safebeds solve` reads one from JSON.
Extra fields are allowed (and ignored); missing or unknown values are refused by name.
"""

from collections import Counter
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from capacity.models import Languages
from capacity.vocab import Area, ExploitationType, Gender, NrmStage, SupportNeed

Id = Annotated[str, Field(min_length=1, max_length=64)] | Annotated[int, Field(ge=0)]


ChildAge = Annotated[int, Field(ge=0, le=17)]


class Snapshot(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class HouseSnapshot(Snapshot):
    id: Id
    area: Area
    genders: list[Gender] = Field(min_length=1)
    trans_inclusive: bool
    nrm_stages: list[NrmStage] = Field(min_length=1)
    max_children: int = Field(ge=0, le=20)
    max_child_age: int = Field(ge=0, le=17)
    languages: Languages
    step_free: bool
    faith_based: bool
    free_beds: int = Field(ge=0, le=10_000)
    # Optional extras that refine the soft score; a snapshot without them scores on the rest.
    specialisms: list[ExploitationType] = Field(default_factory=list)
    extra_support: list[SupportNeed] = Field(default_factory=list)
    stale: bool = False


class RequestSnapshot(Snapshot):
    id: Id
    priority: int = Field(ge=1, le=1_000_000)
    gender: Gender
    trans: bool
    nrm_stage: NrmStage
    children: list[ChildAge] = Field(max_length=20)
    languages: Languages
    interpreter_ok: bool
    needs_step_free: bool
    excluded_areas: list[Area]
    preferred_areas: list[Area]
    avoid_faith_based: bool
    exploitation_type: ExploitationType | None = None
    support_needs: list[SupportNeed] = Field(default_factory=list)
    # Links to requests outside the queue: a keep-apart partner already held or placed somewhere
    # rules that house out; a place-together partner already held somewhere rules out every other.
    avoid_houses: list[Id] = Field(default_factory=list, max_length=100)
    only_house: Id | None = None

    @property
    def beds_needed(self) -> int:
        """One bed for the person and one for each accompanying child."""
        return 1 + len(self.children)


class Instance(Snapshot):
    houses: list[HouseSnapshot]
    requests: list[RequestSnapshot]
    keep_apart: list[tuple[Id, Id]] = Field(default_factory=list)
    place_together: list[Annotated[list[Id], Field(min_length=2)]] = Field(default_factory=list)
    time_limit_s: float | None = Field(default=None, gt=0, le=3600)

    @model_validator(mode="after")
    def _ids_are_unique_and_known(self) -> "Instance":
        for kind, items in (("houses", self.houses), ("requests", self.requests)):
            if repeated := sorted(str(i) for i, n in Counter(item.id for item in items).items() if n > 1):
                raise ValueError(f"{kind}: ids used more than once: {', '.join(repeated)}")
        known = {request.id for request in self.requests}
        for field, groups in (("keep_apart", self.keep_apart), ("place_together", self.place_together)):
            for group in groups:
                if unknown := [str(i) for i in group if i not in known]:
                    raise ValueError(f"{field}: no request with id {', '.join(unknown)}")
                if len(set(group)) < len(group):
                    raise ValueError(f"{field}: a request is linked to itself in {list(group)}")
        return self


class Status(StrEnum):
    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    UNKNOWN = "UNKNOWN"


class Assignment(BaseModel):
    request: Id
    house: Id


class Unplaced(BaseModel):
    request: Id
    reasons: list[str]


class Result(BaseModel):
    status: Status
    placed_priority: int = Field(description="Sum of the priorities of the placed requests")
    bound: int = Field(description="A proven upper bound on placed_priority")
    assignments: list[Assignment]
    unplaced: list[Unplaced]
    score: int = Field(default=0, description="The soft-preference score of the assignments (secondary objective)")
    wall_time_s: float = 0.0


def json_schemas() -> dict[str, dict[str, object]]:
    """The JSON Schemas of the instance and result files, by file name under docs/."""
    return {
        "solver-instance.schema.json": Instance.model_json_schema(mode="validation"),
        "solver-result.schema.json": Result.model_json_schema(mode="serialization"),
    }

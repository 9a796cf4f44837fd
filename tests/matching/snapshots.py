"""Builders of house and request snapshots: valid by default, any field overridable."""

from typing import Any

from matching.instance import HouseSnapshot, Instance, RequestSnapshot


def house(id: str = "H1", **overrides: Any) -> HouseSnapshot:
    values: dict[str, Any] = {
        "id": id,
        "area": "camden",
        "genders": ["female", "male", "non_binary"],
        "trans_inclusive": True,
        "nrm_stages": ["pre_nrm", "recovery", "move_on"],
        "max_children": 3,
        "max_child_age": 17,
        "languages": ["en"],
        "step_free": False,
        "faith_based": False,
        "free_beds": 3,
    }
    return HouseSnapshot.model_validate(values | overrides)


def request(id: str = "R1", **overrides: Any) -> RequestSnapshot:
    values: dict[str, Any] = {
        "id": id,
        "priority": 1,
        "gender": "female",
        "trans": False,
        "nrm_stage": "pre_nrm",
        "children": [],
        "languages": ["en"],
        "interpreter_ok": True,
        "needs_step_free": False,
        "excluded_areas": [],
        "preferred_areas": [],
        "avoid_faith_based": False,
    }
    return RequestSnapshot.model_validate(values | overrides)


def instance(houses: list[HouseSnapshot], requests: list[RequestSnapshot], **links: Any) -> Instance:
    return Instance(houses=houses, requests=requests, **links)

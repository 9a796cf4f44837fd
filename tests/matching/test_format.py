"""The offline solver's file format: the committed schemas match the code, and the example solves."""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matching.instance import Instance, Result, json_schemas
from web.cli import app

DOCS = Path(__file__).parents[2] / "docs"
EXAMPLE = DOCS / "examples" / "solver-instance.json"


@pytest.mark.parametrize("name", sorted(json_schemas()))
def test_the_committed_schema_is_the_code_s_schema(name: str) -> None:
    schema = json_schemas()[name]
    path = DOCS / name
    if os.environ.get("SAFEBEDS_WRITE_SCHEMAS"):
        path.write_text(json.dumps(schema, indent=2) + "\n")
    assert json.loads(path.read_text()) == schema, (
        f"docs/{name} is out of date: run SAFEBEDS_WRITE_SCHEMAS=1 pytest {Path(__file__).name}"
    )


def test_the_documented_example_solves(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    result = CliRunner().invoke(app, ["solve", str(EXAMPLE), "-o", str(output), "--time-limit", "5"])
    assert result.exit_code == 0, result.output
    assert "OPTIMAL: placed priority 6 (bound 6), 3 of 4 requests placed" in result.stderr
    solved = Result.model_validate_json(output.read_text())
    assert (solved.status, solved.placed_priority, solved.bound) == ("OPTIMAL", 6, 6)
    assert [(u.request, u.reasons) for u in solved.unplaced] == [("fam", ["NOT_ENOUGH_BEDS"])]


def test_extra_fields_are_allowed() -> None:
    document = json.loads(EXAMPLE.read_text())
    document["generated_by"] = "a planning spreadsheet"
    document["houses"][0]["notes"] = "ignored"
    assert Instance.model_validate(document).houses[0].id == "H"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (lambda d: d["houses"][0].pop("free_beds"), "houses.0.free_beds: Field required"),
        (lambda d: d["requests"][1].update(gender="unknown"), "requests.1.gender: Input should be"),
        (
            lambda d: d["requests"][0].update(priority=0),
            "requests.0.priority: Input should be greater than or equal to 1",
        ),
        (lambda d: d["houses"][0].update(languages=["xx"]), "houses.0.languages: Value error, unknown language code"),
        (lambda d: d.update(keep_apart=[["a", "ghost"]]), "keep_apart: no request with id ghost"),
    ],
)
def test_a_bad_instance_is_refused_naming_the_field(
    tmp_path: Path, change: Callable[[dict[str, Any]], object], named: str
) -> None:
    document = json.loads(EXAMPLE.read_text())
    change(document)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    result = CliRunner().invoke(app, ["solve", str(bad)])
    assert result.exit_code == 1
    assert "bad.json is not a valid instance" in result.stderr
    assert named in result.stderr


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(app, ["solve", str(bad)])
    assert result.exit_code == 1
    assert "Invalid JSON" in result.stderr

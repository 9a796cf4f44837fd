"""The README documents every setting the app reads, and shows every screenshot."""

import re
from pathlib import Path

from web.settings import Settings

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented_with_its_default() -> None:
    for name, field in Settings.model_fields.items():
        variable = f"`SAFEBEDS_{name.upper()}`"
        assert variable in README, f"{variable} is missing from the README's configuration table"
        row = next(line for line in README.splitlines() if line.startswith(f"| {variable}"))
        default = str(field.default).lower()
        shown = f"`{default}`" if default else "| (none) |"
        assert shown in row.lower(), f"the README gives the wrong default for {variable}"


def test_the_readme_shows_every_screenshot_and_only_those_that_exist() -> None:
    shown = set(re.findall(r'src="(docs/screenshots/[^"]+\.png)"', README))
    taken = {str(path.relative_to(ROOT)) for path in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert shown == taken
    pages = {Path(name).name.removesuffix("-phone.png").removesuffix("-desktop.png") for name in taken}
    assert taken == {f"docs/screenshots/{page}-{size}.png" for page in pages for size in ("phone", "desktop")}


def test_every_test_the_security_map_cites_exists() -> None:
    security = (ROOT / "docs" / "security.md").read_text()
    cited = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", security))
    assert len(cited) > 40
    for path, name in sorted(cited):
        assert f"def {name}(" in (ROOT / path).read_text(), f"docs/security.md cites {path}::{name}, which is not there"

"""The README documents every setting the app reads."""

from pathlib import Path

from web.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented_with_its_default() -> None:
    for name, field in Settings.model_fields.items():
        variable = f"`SAFEBEDS_{name.upper()}`"
        assert variable in README, f"{variable} is missing from the README's configuration table"
        row = next(line for line in README.splitlines() if line.startswith(f"| {variable}"))
        default = str(field.default).lower()
        assert f"`{default}`" in row.lower(), f"the README gives the wrong default for {variable}"

"""The commissioner's journey in a real browser: the gaps for a period, a table downloaded, the page printed."""

import csv
import io
import re

from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, LogIn


def test_a_commissioner_reads_the_gaps_downloads_a_table_and_prints_the_report(log_in_as: LogIn) -> None:
    commissioner = log_in_as("commissioner", viewport=DESKTOP)
    page = commissioner.page
    commissioner.tap(page.get_by_role("navigation").get_by_role("link", name="The gaps"), "the-gaps")
    groups = page.get_by_role("region", name="By group")
    expect(groups.get_by_role("rowheader", name="Men", exact=True)).to_be_visible()

    # The last three months only: the tables refresh in place, the heading and the address follow.
    last_day = page.get_by_label("Last day").input_value()
    year, month, day = (int(part) for part in last_day.split("-"))
    year, month = (year, month - 3) if month > 3 else (year - 1, month + 9)
    commissioner.type(page.get_by_label("First day"), f"{year:04d}-{month:02d}-01", "three-months")
    month_name = ("January February March April May June July August September October November December").split()
    expect(page.locator("h1")).to_contain_text(f"1 {month_name[month - 1]} {year} to")
    assert f"from={year:04d}-{month:02d}-01" in page.url
    expect(groups.get_by_role("rowheader", name="Men", exact=True)).to_be_visible()

    with page.expect_download() as downloading:
        commissioner.tap(
            page.get_by_role("link", name=re.compile(r"^Download this table as CSV\W+By group")), "download-groups"
        )
    download = downloading.value
    assert download.suggested_filename.endswith(".csv")
    path = download.path()
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] and any(row[0] == "Men" for row in rows[1:])
    counts = [cell for row in rows[1:] for cell in row[1:]]
    assert all(not cell.isdigit() or int(cell) == 0 or int(cell) >= 5 for cell in counts), "1 to 4 read <5"

    page.emulate_media(media="print")
    commissioner.shot("printed")
    assert not page.locator("form.period-form").is_visible(), "the print has no form"
    assert not page.locator(".site-header form").is_visible(), "nor the log-out button"
    assert not page.get_by_role("navigation").is_visible(), "nor the links to other pages"

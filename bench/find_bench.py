"""The officer's search fragment on the demo database: what htmx fetches each time a need is entered.

Usage: python -m bench.find_bench [--searches 300] [--history-days 365]
Loads the demo (its houses and a year of history, as `safebeds demo` does) into a fresh SQLite
database, serves the app with uvicorn on 127.0.0.1, and times `POST /find` with `HX-Request: true`
(the results block, rendered as HTML) over one kept-alive connection, as the browser sends it. In the
same process and for the same needs, `POST /api/search?limit=20` (the same search as JSON) is the
baseline, so the ratio says what rendering the fragment adds.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from sqlmodel import Session, select

from bench.http_bench import serving
from bench.search_bench import needs
from capacity.models import User
from capacity.vocab import Role
from matching.models import RequestNeeds
from web import accounts, demo
from web.db import make_engine
from web.settings import Settings


def form_fields(wanted: RequestNeeds) -> str:
    """The needs as the find form sends them: ticked boxes only, repeated fields repeated."""
    fields: list[tuple[str, str]] = [
        ("urgency", wanted.urgency),
        ("nrm_stage", wanted.nrm_stage),
        ("gender", wanted.gender),
        ("age_band", wanted.age_band),
        ("children", ", ".join(str(age) for age in wanted.children)),
        ("exploitation_type", wanted.exploitation_type or ""),
    ]
    ticked = {
        "nrm_consent": wanted.nrm_consent,
        "trans": wanted.trans,
        "no_interpreter": not wanted.interpreter_ok,
        "needs_step_free": wanted.needs_step_free,
        "avoid_faith_based": wanted.avoid_faith_based,
    }
    fields += [(name, "on") for name, on in ticked.items() if on]
    fields += [("languages", code) for code in wanted.languages]
    fields += [("support_needs", str(need)) for need in wanted.support_needs]
    fields += [("excluded_areas", str(area)) for area in wanted.excluded_areas]
    fields += [("preferred_areas", str(area)) for area in wanted.preferred_areas]
    return urlencode(fields)


def officer_token(database_url: str) -> str:
    """A session for the demo's officer, as logging in would start."""
    engine = make_engine(database_url)
    with Session(engine) as session:
        officer = session.exec(select(User).where(User.role == Role.officer)).first()
        assert officer is not None
        token = accounts.start_session(session=session, user=officer)
    engine.dispose()
    return token


def timings(searches: int, port: int, history_days: int) -> dict[str, list[float]]:
    """Milliseconds per search, sorted, for the fragment and for the JSON baseline."""
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite:///{Path(directory) / 'demo.db'}"
        os.environ["SAFEBEDS_DATABASE_URL"] = database_url
        settings = Settings(_env_file=None)
        demo.create(database_url=database_url, history_days=history_days, settings=settings)
        token = officer_token(database_url)
        from web.deps import session_cookie_name

        with serving(port) as connection:
            cookie = f"{session_cookie_name(settings)}={token}"
            fragment = {"Cookie": cookie, "HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
            api = {"Cookie": cookie, "Content-Type": "application/json"}

            def one(path: str, body: str, headers: dict[str, str]) -> float:
                started = time.perf_counter()
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                text = response.read()
                assert response.status == 200, text
                return (time.perf_counter() - started) * 1000

            rng = random.Random(3)
            asked = [needs(rng) for _ in range(searches)]
            one("/find", form_fields(asked[0]), fragment)  # builds the index, as the first search of the day does
            samples: dict[str, list[float]] = {"fragment": [], "json": []}
            for wanted in asked:  # interleaved, so both meet the same machine load
                samples["fragment"].append(one("/find", form_fields(wanted), fragment))
                samples["json"].append(one("/api/search?limit=20", wanted.model_dump_json(), api))
        return {name: sorted(values) for name, values in samples.items()}


def p95(values: list[float]) -> float:
    return values[int(0.95 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--searches", type=int, default=300)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--history-days", type=int, default=demo.HISTORY_DAYS)
    args = parser.parse_args()
    measured = timings(args.searches, args.port, args.history_days)
    print("| response | p50 ms | p95 ms |")
    print("| --- | --- | --- |")
    for name, words in (("fragment", "`POST /find` results fragment (HTML)"), ("json", "`POST /api/search` (JSON)")):
        values = measured[name]
        print(f"| {words} | {statistics.median(values):.1f} | {p95(values):.1f} |")
    ratio = statistics.median(measured["fragment"]) / statistics.median(measured["json"])
    print(f"\nFragment / JSON, medians: {ratio:.2f}")


if __name__ == "__main__":
    main()

"""The recommendation's optimisation at a year of London demand, and what its beds gain in the replay.

Usage: python -m bench.recommend_bench [--budgets 5 10 20 40] [--repeats 5] [--scales 1 3]
Loads the demo (its houses and a year of fictional London requests, as `safebeds demo` does) into
a fresh SQLite database and replays the year against today's capacity; the people it leaves
unplaced are the unmet demand. For each budget K it times `matching.recommend.recommend` (every
budget from 1 to K, as the commissioner's page asks), the median over repeats, and says whether
each answer is proven optimal. At scale 3 every unmet person comes three times, eight hours apart:
a busier London, for the optimisation alone.

Baselines, in the same process:
- time: the replay of the year itself (what a what-if costs);
- value: beds shared between kinds in proportion to the unmet people of each kind (what one might do
  by hand from the report's "beds that were missing" table), sited the same way; both sets of beds
  are replayed with the whole year, and the ratio of the placements they gain is reported.
"""

import argparse
import os
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from capacity.vocab import region_of
from matching import reporting, whatif
from matching.allocation import URGENCY_BASE
from matching.recommend import Fundable, Unmet, recommend, site_beds
from matching.replay import replay
from matching.reporting import BedKind
from web import demo
from web.db import make_engine
from web.settings import Settings


def unmet_of(what: whatif.WhatIf, scale: int) -> list[Unmet]:
    people = [
        Unmet(
            id=d.id,
            at=d.at,
            stay=d.stay,
            priority=URGENCY_BASE[d.urgency],
            person=d.person,
            found=region_of(d.found_area) if d.found_area is not None else None,
        )
        for d in what.demand
        if what.today.fates[d.id].placed_at is None
    ]
    copies = [
        replace(u, id=u.id + copy * 10**6, at=u.at + copy * timedelta(hours=8)) for copy in range(scale) for u in people
    ]
    return copies


def proportional(people: list[Unmet], budget: int, fundable: Fundable) -> list[whatif.BedChange]:
    """Beds shared between the kinds people needed, in proportion to how many needed each (largest remainders)."""
    kinds = Counter(
        BedKind(u.person.gender, u.person.nrm_stage, bool(u.person.children), u.person.needs_step_free) for u in people
    )
    total = sum(kinds.values())
    shares = {kind: budget * n / total for kind, n in kinds.items()}
    given = {kind: int(share) for kind, share in shares.items()}
    for kind in sorted(shares, key=lambda k: -(shares[k] - given[k]))[: budget - sum(given.values())]:
        given[kind] += 1
    changes = []
    for kind, n in given.items():
        if not n:
            continue
        found = [u.found for u in people if (u.person.gender, u.person.nrm_stage) == (kind.gender, kind.nrm_stage)]
        for region, beds in site_beds(n, found, fundable.regions).items():
            changes.append(
                whatif.BedChange(
                    beds, (kind.gender,), (kind.nrm_stage,), family=kind.family, step_free=kind.step_free, region=region
                )
            )
    return changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 3])
    parser.add_argument("--time-limit", type=float, default=30.0)
    args = parser.parse_args()
    fundable = Fundable()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'demo.db'}"
        os.environ["SAFEBEDS_DATABASE_URL"] = url
        demo.create(database_url=url, history_days=365, settings=Settings(_env_file=None))
        engine = make_engine(url)
        with Session(engine) as session:
            end = reporting.default_period()[1]
            what = whatif.run(session=session, start=end - timedelta(days=364), end=end)
        engine.dispose()
    since, until = whatif.replay_bounds(what.start, what.end)
    replays = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        replay(what.demand, what.base, start=since, end=until)
        replays.append(time.perf_counter() - started)
    replay_s = statistics.median(replays)
    print(
        f"A year: {len(what.demand):,} requests, {what.today.placed():,} placed in the replay against today's "
        f"capacity, {len(what.demand) - what.today.placed():,} not; replay median {replay_s:.2f} s"
    )
    sites = {
        region: whatif.site(whatif.BedChange(1, (), (), region=region), found=whatif.found_areas(what))
        for region in fundable.regions
    }
    columns = (
        "scale",
        "people",
        "budget K",
        "median s (every budget 1..K)",
        "/ replay",
        "CP-SAT models",
        "optimal",
        "placed (model)",
        "gained in replay",
        "gained by proportional",
        "ratio",
    )
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for scale in args.scales:
        people = unmet_of(what, scale)
        for budget in args.budgets:
            times, found = [], None
            for _ in range(args.repeats):
                started = time.perf_counter()
                found = recommend(
                    people, budget=budget, fundable=fundable, sites=sites, end=until, time_limit_s=args.time_limit
                )
                times.append(time.perf_counter() - started)
            assert found is not None
            optimal = sum(step.optimal for step in found.steps)
            gained = ratio = by_hand = "-"
            if scale == 1:
                changes = [
                    whatif.BedChange(
                        n,
                        (kind.gender,),
                        (kind.nrm_stage,),
                        family=kind.family,
                        step_free=kind.step_free,
                        region=region,
                    )
                    for kind, regions in found.where.items()
                    for region, n in regions.items()
                ]
                chosen = whatif.with_changes(what, changes).changed.placed() - what.today.placed()
                hand = (
                    whatif.with_changes(what, proportional(people, budget, fundable)).changed.placed()
                    - what.today.placed()
                )
                gained, by_hand = f"{chosen:+d}", f"{hand:+d}"
                ratio = f"{chosen / hand:.2f}" if hand > 0 else "-"
            median = statistics.median(times)
            print(
                f"| {scale} | {len(people):,} | {budget} | {median:.2f} | {median / replay_s:.2f} | {found.solves} | "
                f"{optimal}/{len(found.steps)} | {found.best.placed:,} | {gained} | {by_hand} | {ratio} |"
            )


if __name__ == "__main__":
    main()

"""A synthetic national register, for measuring the stack at the scale of all 42 ICBs.

`python -m register.bench.generate --size 1000000` writes build/synthetic/1000000/: a copy of
datapackage.json and schemas/, and datasets/ with every resource, laid out like the
repository so that `python -m register.checks.validate --root DIR` and
`python -m register.database.build --root DIR --out DIR/build` work on it unchanged.

Why synthetic: the real register has tens of rows; the strategy looks to system and
national scale (003 s7.2), and speed targets mean nothing without a register of that
size. Every generated row cites the source `synthetic_register`, so a synthetic row can
never be mistaken for a real one. The real codelists and sources are reused; the
organisations and places codelists of the copy are extended to the 42 ICBs of England.

Deterministic: the same --seed, --size and --today give the same bytes. `--size` is the
number of rows of the largest resource (the co-production log); the other resources
follow from it (about 2.1 rows in all per log row). Free text is assembled from phrases
that pass the privacy gate (register/bench/phrases.py); the copy of the package around the
records is register/bench/synthetic_package.py.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

from register.bench.phrases import (
    ACCESSIBILITY,
    ACTIVITY_TITLES,
    AIMS,
    DESCRIPTION_CLOSINGS,
    DESCRIPTION_MIDDLES,
    DESCRIPTION_OPENERS,
    EVIDENCE,
    ICBS,
    MITIGATIONS,
    NOT_ASSESSED,
    REASONS,
    ROLES,
    SERVICES,
    SUMMARY_CONTEXT,
    SUMMARY_OPENERS,
    WE_DID,
    WHAT_CHANGED,
    YOU_SAID,
    check_phrases,
)
from register.bench.synthetic_package import SECTION, SYNTHETIC_SOURCE, copy_package
from register.schema.package import MAIN_RESOURCES, ROOT, Package
from register.schema.package import today as register_today
from register.util.progress import Progress
from register.util.text import command_parser

YEARS = 5
MEAN_ACTIVITIES_PER_PROJECT = 15
# How often each code is picked, keyed by the codes of its codelist ("" leaves the cell empty).
GATE_WEIGHTS = {"assess": 30, "plan": 30, "procure": 20, "monitor_evaluate": 20}
LEVEL_WEIGHTS = {"inform": 15, "consult": 30, "engage": 25, "co_design": 20, "co_production": 10}
IMPACT_WEIGHTS = {"positive": 35, "neutral": 40, "negative": 8, "not_known": 10, "not_assessed": 7}
FORMAT_WEIGHTS = {"in_person": 50, "online": 30, "hybrid": 15, "": 5}
# Activity types that hear many voices produce many "You said" items.
ITEMS_PER_ACTIVITY = {"listening_event": 1.2, "survey": 1.2, "feedback_event": 0.5, "community_event": 0.5}
ITEMS_OTHERWISE = 0.03
# Most activities are meetings of standing groups; open events are rarer.
ACTIVITY_TYPE_WEIGHTS = {
    "working_group": 25,
    "steering_group": 15,
    "task_and_finish": 10,
    "strategic_group": 10,
    "listening_event": 8,
    "survey": 8,
    "feedback_event": 6,
    "community_event": 8,
    "publication": 10,
}


def weighted(pool: list, weights: list) -> list:
    """The pool with each entry repeated by its weight: a uniform pick from it is a weighted pick."""
    return [item for item, w in zip(pool, weights) for _ in range(w)]


def weighted_codes(src: Package, codelist: str, weights: dict[str, int]) -> list[str]:
    """A weighted pool of a codelist's codes; refuses codes the codelist does not have."""
    unknown = [c for c in weights if c and c not in src.codes(codelist)]
    if unknown:
        raise ValueError(f"{codelist} has no code {', '.join(unknown)}: update the weights in {__name__}")
    return weighted(list(weights), list(weights.values()))


def _activity_counts(rng: random.Random, size: int) -> list[int]:
    """Activities per project, summing to exactly `size`: most projects have a few, some many."""
    counts, total = [], 0
    while total < size:
        k = 1 + int(rng.expovariate(1 / (MEAN_ACTIVITIES_PER_PROJECT - 1)))
        k = min(k, size - total)
        counts.append(k)
        total += k
    return counts


def generate(
    out: Path | str,
    size: int,
    seed: int = 1,
    today: dt.date | None = None,
    source_root: Path | str = ROOT,
    progress: bool | None = None,
) -> dict[str, int]:
    """Write the synthetic register into `out`; returns the number of rows per resource."""
    check_phrases()
    out = Path(out)
    today = today or register_today()
    src = Package(source_root)
    icb_places, place_titles = copy_package(src, out, today)
    icb_names = {c: n for c, n, _ in ICBS}

    rng = random.Random(seed)
    rnd = rng.random
    activity_types = weighted_codes(src, "activity_types", ACTIVITY_TYPE_WEIGHTS)
    characteristics = src.codes("characteristics")
    groups = src.codes("groups")
    themes = src.codes("themes")
    formats = weighted_codes(src, "formats", FORMAT_WEIGHTS)
    gate_order = src.codes("gates")  # a project moves through them in this order
    gates = weighted_codes(src, "gates", GATE_WEIGHTS)
    levels = weighted_codes(src, "participation_levels", LEVEL_WEIGHTS)
    impacts = weighted_codes(src, "impacts", IMPACT_WEIGHTS)

    first_day = (
        today.replace(year=today.year - YEARS)
        if not (today.month == 2 and today.day == 29)
        else today.replace(year=today.year - YEARS, day=28)
    )
    span = (today - first_day).days
    # Every date string the register can hold, from five years ago to two years ahead.
    day_text = [(first_day + dt.timedelta(days=i)).isoformat() for i in range(span + 2 * 366 + 400)]
    nums = [str(i) for i in range(200)]

    def pick(pool: list):
        return pool[int(rnd() * len(pool))]

    # Phrases are CSV-quoted once here, and rows are written as joined lines: the csv
    # module's writer, which scans every character of every row, halves the speed.
    Q = csvq
    summaries = {s: [Q(f"{o.format(s=s)} {c}") for o in SUMMARY_OPENERS for c in SUMMARY_CONTEXT] for s in SERVICES}
    descriptions = [
        Q(f"{o} {m}" + (f" {c}" if c else ""))
        for o in DESCRIPTION_OPENERS
        for m in DESCRIPTION_MIDDLES
        for c in DESCRIPTION_CLOSINGS + [""] * 6
    ]
    evidence = [Q(t) for t in EVIDENCE] + [""] * 1  # about one in eight left empty
    mitigations, not_assessed = [Q(t) for t in MITIGATIONS], [Q(t) for t in NOT_ASSESSED]
    accessibility = [Q(t) for t in ACCESSIBILITY] + [""] * 4
    what_changed = [Q(t) for t in WHAT_CHANGED] + [""] * 5
    you_said, we_did, reasons = [Q(t) for t in YOU_SAID], [Q(t) for t in WE_DID], [Q(t) for t in REASONS]
    roles = [Q(t) for t in ROLES] + [""]
    aims = AIMS
    tail = f",{SYNTHETIC_SOURCE},{SECTION}\n"

    counts = _activity_counts(rng, size)
    n_projects = len(counts)
    width = {"PRJ": max(4, len(str(n_projects))), "LOG": max(4, len(str(size)))}
    # Item and update numbers are not known in advance: allow for the largest possible.
    width["YS"] = width["EIA"] = width["UPD"] = max(4, len(str(size * 12)))
    org_codes = [c for c, _, _ in ICBS]
    org_pool = weighted(org_codes, [w for _, _, w in ICBS])

    data = out / "datasets"
    names = MAIN_RESOURCES
    files = {n: (data / f"{n}.csv").open("w", newline="", encoding="utf-8", buffering=1 << 20) for n in names}
    for n in names:
        files[n].write(",".join(src.resource(n).field_names) + "\n")
    w_prj, w_log, w_eia, w_ys, w_upd = (files[n].write for n in names)
    n_log = n_eia = n_ys = n_upd = 0
    fmt = {k: f"{k}-%0{v}d" for k, v in width.items()}
    f_prj, f_log, f_eia, f_ys, f_upd = fmt["PRJ"], fmt["LOG"], fmt["EIA"], fmt["YS"], fmt["UPD"]
    type_titles = {c: c.replace("_", " ").capitalize() for c in ACTIVITY_TYPE_WEIGHTS}
    gate_index = {g: i for i, g in enumerate(gate_order)}
    triple = [("true", "false"), ("true", "false"), ("true", "false"), ("yes", "no")]
    n_groups = len(groups)
    bar = Progress(f"Generating {size:,} activities", size, progress)

    for p_index, k in enumerate(counts):
        pid = f_prj % (p_index + 1)
        org = pick(org_pool)
        places = icb_places[org]
        place = "" if rnd() < 0.05 else pick(places)
        gate = pick(gates)
        g = gate_index[gate]
        service = pick(SERVICES)
        start = int(rnd() * (span - 30))
        # Projects run for up to three years; activities fall between start and today.
        run = min(span - start, 90 + int(rnd() * 1000))
        end = day_text[start + run + int(rnd() * 300)] if rnd() < 0.4 else ""
        r = rnd()
        via = pick(triple)[0] if r < 0.3 else (pick(triple)[1] if r < 0.8 else "")
        title = Q(f"{pick(aims)} {service} in {place_titles[place] if place else icb_names[org]}")
        w_prj(
            f"{pid},{title},{pick(summaries[service])},{org},{place},{gate},{via},"
            f"{day_text[start] if rnd() > 0.05 else ''},{end},{pick(roles)}{tail}"
        )

        # The Equality Impact Assessment: all twelve characteristics, once a project is
        # past Assess (and for some projects still at Plan).
        if g >= 2 or (g == 1 and rnd() < 0.5):
            r = rnd()
            coproduced = pick(triple)[0] if r < 0.4 else (pick(triple)[1] if r < 0.75 else "")
            assessed = start + int(rnd() * run)
            assessed_text = day_text[assessed] if rnd() > 0.1 else ""
            review = day_text[assessed + 365] if assessed_text and rnd() < 0.7 else ""
            dates = f"{coproduced},{assessed_text},{review}{tail}"
            for c in characteristics:
                n_eia += 1
                impact = pick(impacts)
                w_eia(
                    f"{f_eia % n_eia},{pid},{c},{impact},{pick(evidence)},"
                    f"{pick(mitigations) if impact == 'negative' else ''},"
                    f"{pick(not_assessed) if impact == 'not_assessed' else ''},{dates}"
                )

        # Activities, in date order, moving through the gates the project has reached.
        days = sorted([start + int(rnd() * run) for _ in range(k)])
        for a_index, day in enumerate(days):
            n_log += 1
            lid = f_log % n_log
            a_gate = gate_order[min(g, a_index * (g + 1) // k)]
            atype = pick(activity_types)
            afmt = pick(formats)
            aplace = "online" if afmt == "online" else ("" if rnd() < 0.1 else pick(places))
            lived = "" if rnd() < 0.1 else nums[int(rnd() * 40)]
            # About one activity in five has more staff than people with lived experience.
            staff = "" if rnd() < 0.1 else nums[1 + int(rnd() * (6 if rnd() < 0.8 else 25))]
            r = rnd()
            reimb = pick(triple)[0] if r < 0.55 else (pick(triple)[1] if r < 0.8 else "")
            r = rnd()
            if r < 0.3:
                grp = ""
            else:
                chosen = {groups[int(rnd() * n_groups)] for _ in range(1 + int(r * 3))}
                grp = chosen.pop() if len(chosen) == 1 else ";".join(sorted(chosen))
            day_str = day_text[day]
            title = Q(pick(ACTIVITY_TITLES).format(t=type_titles[atype], s=service))
            w_log(
                f"{lid},{pid},{day_str},{title},{a_gate},{pick(levels)},{atype},{afmt},{aplace},"
                f"{pick(descriptions)},{grp},{lived},{staff},{reimb},{pick(accessibility)},"
                f"{pick(what_changed)}{tail}"
            )

            # "You said" items heard at the activity, and their status histories.
            mean = ITEMS_PER_ACTIVITY.get(atype, ITEMS_OTHERWISE)
            n_items = int(rnd() * 2 * mean + 0.5) if mean >= 1 else (1 if rnd() < mean else 0)
            for _ in range(n_items):
                n_ys += 1
                yid = f_ys % n_ys
                target = day_text[day + 60 + int(rnd() * 300)] if rnd() < 0.7 else ""
                # response_rule is left empty: the default rule
                w_ys(f"{yid},{pid},{lid},{day_str},{pick(themes)},{pick(you_said)},{target},{tail}")
                r = rnd()
                if r < 0.15:
                    path = ()
                elif r < 0.35:
                    path = ("planned",)
                elif r < 0.50:
                    path = ("planned", "in_progress")
                elif r < 0.75:
                    path = ("planned", "in_progress", "done")
                elif r < 0.90:
                    path = ("done",)
                else:
                    path = ("not_taken_forward",)
                when = day
                for status in path:
                    when += 7 + int(rnd() * 120)
                    if when > span:
                        break  # the history stops at today
                    n_upd += 1
                    if status == "not_taken_forward":
                        w_upd(f"{f_upd % n_upd},{yid},{day_text[when]},{status},,{pick(reasons)}{tail}")
                    else:
                        w_upd(f"{f_upd % n_upd},{yid},{day_text[when]},{status},{pick(we_did)},{tail}")
        if p_index % 64 == 0:
            bar.update(n_log, " activities")
    for f in files.values():
        f.close()
    counts_out = {
        "projects": n_projects,
        "coproduction_log": n_log,
        "equality_impacts": n_eia,
        "you_said_we_did": n_ys,
        "you_said_we_did_updates": n_upd,
    }
    bar.done(f"{sum(counts_out.values()):,} rows")
    (out / "synthetic.json").write_text(
        json.dumps({"size": size, "seed": seed, "today": today.isoformat(), "rows": counts_out}, indent=2) + "\n",
        "utf-8",
    )
    return counts_out


def csvq(text: str) -> str:
    """A CSV cell as the csv module writes it: quoted only when it has to be."""
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return f'"{text}"'
    return text


def main(argv=None) -> int:
    parser = command_parser(__spec__, __doc__)
    parser.add_argument(
        "--size", type=int, default=10_000, help="rows of the largest resource, the co-production log (default 10000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="the random seed (default 1)")
    parser.add_argument("--today", default=None, help="the date the register is generated on (YYYY-MM-DD)")
    parser.add_argument("--out", default=None, help="output directory (default build/synthetic/<size>)")
    args = parser.parse_args(argv)
    if args.size < 1:
        parser.error(f"--size must be a whole number of rows, 1 or more, not {args.size}")
    try:
        today = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError:
        parser.error(f"--today {args.today!r} is not a date written YYYY-MM-DD, for example 2026-11-23")
    out = Path(args.out) if args.out else ROOT / "build" / "synthetic" / str(args.size)
    start = time.perf_counter()
    counts = generate(out, args.size, seed=args.seed, today=today)
    took = time.perf_counter() - start
    total = sum(counts.values())
    print(
        f"Wrote {out}: {total:,} rows in {took:.1f} s ({total / took:,.0f} rows/s): "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

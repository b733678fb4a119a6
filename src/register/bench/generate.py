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
that pass the privacy gate (register/checks/privacy.py), checked when the phrases are built.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path

from register.checks.privacy import findings
from register.schema.package import ROOT, Package
from register.schema.package import today as register_today
from register.util.progress import Progress

SYNTHETIC_SOURCE = "synthetic_register"
SECTION = "generated"
YEARS = 5
MEAN_ACTIVITIES_PER_PROJECT = 15

# The 42 integrated care boards of England, with a rough weight for how much each
# commissions (bigger systems run more projects). nn_icb is the real code already in the
# organisations codelist.
ICBS = [
    ("nn_icb", "Nottingham and Nottinghamshire", 3),
    ("bsw_icb", "Bath and North East Somerset, Swindon and Wiltshire", 2),
    ("blmk_icb", "Bedfordshire, Luton and Milton Keynes", 2),
    ("bsol_icb", "Birmingham and Solihull", 3),
    ("black_country_icb", "Black Country", 3),
    ("bnssg_icb", "Bristol, North Somerset and South Gloucestershire", 2),
    ("bob_icb", "Buckinghamshire, Oxfordshire and Berkshire West", 3),
    ("cambs_peterborough_icb", "Cambridgeshire and Peterborough", 2),
    ("cheshire_merseyside_icb", "Cheshire and Merseyside", 5),
    ("cornwall_icb", "Cornwall and the Isles of Scilly", 1),
    ("coventry_warwickshire_icb", "Coventry and Warwickshire", 2),
    ("derbyshire_icb", "Derby and Derbyshire", 2),
    ("devon_icb", "Devon", 2),
    ("dorset_icb", "Dorset", 1),
    ("frimley_icb", "Frimley", 1),
    ("gloucestershire_icb", "Gloucestershire", 1),
    ("greater_manchester_icb", "Greater Manchester", 5),
    ("hiow_icb", "Hampshire and Isle of Wight", 3),
    ("hw_icb", "Herefordshire and Worcestershire", 1),
    ("hwe_icb", "Hertfordshire and West Essex", 2),
    ("hnyk_icb", "Humber and North Yorkshire", 3),
    ("kent_medway_icb", "Kent and Medway", 3),
    ("lsc_icb", "Lancashire and South Cumbria", 3),
    ("llr_icb", "Leicester, Leicestershire and Rutland", 2),
    ("lincolnshire_icb", "Lincolnshire", 1),
    ("mse_icb", "Mid and South Essex", 2),
    ("norfolk_waveney_icb", "Norfolk and Waveney", 2),
    ("ncl_icb", "North Central London", 3),
    ("nenc_icb", "North East and North Cumbria", 5),
    ("nel_icb", "North East London", 3),
    ("nwl_icb", "North West London", 3),
    ("northamptonshire_icb", "Northamptonshire", 1),
    ("stw_icb", "Shropshire, Telford and Wrekin", 1),
    ("somerset_icb", "Somerset", 1),
    ("sel_icb", "South East London", 3),
    ("swl_icb", "South West London", 2),
    ("south_yorkshire_icb", "South Yorkshire", 2),
    ("ssot_icb", "Staffordshire and Stoke-on-Trent", 2),
    ("snee_icb", "Suffolk and North East Essex", 1),
    ("surrey_heartlands_icb", "Surrey Heartlands", 2),
    ("sussex_icb", "Sussex", 3),
    ("west_yorkshire_icb", "West Yorkshire", 4),
]

SERVICES = [
    "community mental health services",
    "adult social care assessments",
    "maternity and neonatal care",
    "urgent and emergency care",
    "falls prevention",
    "diabetes prevention",
    "stroke rehabilitation",
    "hospital discharge",
    "children's speech and language therapy",
    "autism assessment pathways",
    "learning disability annual health checks",
    "dementia support",
    "end of life care",
    "personal health budgets",
    "carers' breaks",
    "wheelchair services",
    "community pharmacy",
    "primary care access",
    "dental access",
    "eating disorder services",
    "perinatal mental health",
    "drug and alcohol recovery",
    "homeless health outreach",
    "respiratory care",
    "musculoskeletal physiotherapy",
    "cancer screening uptake",
    "weight management",
    "smoking cessation",
    "social prescribing",
    "virtual wards",
    "mental health crisis support",
    "young people's transition to adult services",
    "hearing and sight loss support",
    "continence services",
    "long COVID clinics",
    "patient transport",
    "care homes support",
    "veterans' health",
    "sexual health services",
    "interpreting and translation services",
]
AIMS = [
    "Redesign of",
    "Review of",
    "Recommissioning of",
    "Improving access to",
    "Co-designing",
    "Integrating",
    "Evaluating",
    "Expanding",
    "Reshaping",
    "Joining up",
]
SUMMARY_OPENERS = [
    "A project to make {s} easier to reach for the people who need them most.",
    "The project changes how {s} are planned, bought and checked.",
    "This work brings together health, care and voluntary partners to improve {s}.",
    "People who use {s} said they were hard to find and slow to respond; this project responds to that.",
    "A review of {s} against what people with lived experience say matters to them.",
    "The project moves {s} closer to home and into community venues.",
]
SUMMARY_CONTEXT = [
    "It follows the co-production gates of the commissioning cycle.",
    "People with lived experience sit on the project group alongside staff.",
    "It builds on what was heard at earlier listening events.",
    "Equality impacts are assessed before each decision.",
    "Partners from Healthwatch and local voluntary groups take part.",
    "The contract will include outcomes agreed with people who use the service.",
    "It responds to a national requirement and to local feedback.",
    "Its progress is reported to the board every quarter.",
]
ACTIVITY_TITLES = [
    "{t} on {s}",
    "{t}: {s}",
    "{t} about the future of {s}",
    "{t} with people who use {s}",
    "{t} to agree outcomes for {s}",
]
DESCRIPTION_OPENERS = [
    "People with lived experience and staff met to talk about what works and what does not.",
    "The session shared the project's early ideas and asked people what they thought.",
    "Participants worked in small groups, each looking at one part of the service.",
    "The group reviewed the draft specification line by line.",
    "People shared their experiences of using the service and of trying to find help.",
    "The meeting looked back at what was said last time and what has happened since.",
    "A facilitator from a voluntary sector partner chaired the discussion.",
    "The survey asked open questions about access, waiting and communication.",
]
DESCRIPTION_MIDDLES = [
    "Themes included transport, waiting times and being listened to.",
    "People said information should be in plain English and easy read.",
    "Carers asked to be involved earlier in decisions about the people they look after.",
    "Several people described long waits and having to repeat their story.",
    "There was strong support for services in community venues rather than hospitals.",
    "Staff explained the budget and the choices it forces, and people challenged them.",
    "People asked how they would hear about what happened to their views.",
    "Young people asked for online options and evening sessions.",
    "Some people found the venue hard to reach by bus.",
    "People agreed a set of outcomes they would use to judge the service.",
]
DESCRIPTION_CLOSINGS = [
    "Notes were shared with everyone afterwards to check they were accurate.",
    "What was said will shape the next draft.",
    "The group will meet again at the next gate.",
    "A summary will be published with a you said, we did update.",
    "Actions were agreed and owners named by role.",
    "",
]
ACCESSIBILITY = [
    "Easy read papers sent in advance.",
    "Step-free venue on a bus route.",
    "British Sign Language interpreter booked.",
    "Held online and in person, with captions.",
    "Papers available in large print and other languages on request.",
    "Quiet room available; breaks every hour.",
    "Evening session so that people who work could attend.",
    "Travel costs paid on the day.",
    "Hearing loop in the room.",
    "Childcare costs covered.",
]
WHAT_CHANGED = [
    "The specification now includes evening and weekend appointments.",
    "Easy read information will be produced for every letter.",
    "The outcomes people agreed were written into the contract.",
    "A carers' representative joined the project group.",
    "The venue for the service was moved to a community centre.",
    "Waiting time targets were added to the monitoring plan.",
    "People with lived experience will sit on the procurement panel.",
    "Online booking will be offered alongside telephone booking.",
    "The project timeline was extended to allow more engagement.",
    "Interpreting will be offered at every appointment.",
]
YOU_SAID = [
    "Tell us what happened to what we said.",
    "Information should be in easy read as well as online.",
    "Pay people's travel costs on the day, not weeks later.",
    "Do not hold every meeting in working hours.",
    "Ask carers as well as the people they care for.",
    "Stop using jargon and acronyms.",
    "Come to where people already are, such as community groups.",
    "Not everyone can get online.",
    "We want to be involved from the start, not asked to agree at the end.",
    "Waiting lists are too long and nobody tells you where you are on them.",
    "Staff should have training in working with people with lived experience.",
    "Have a single place to find out about every engagement opportunity.",
    "Make sure interpreters are available.",
    "The venue must be reachable by bus.",
    "Young people need a say in services that affect them.",
    "Feedback forms are too long.",
    "Too many professionals in the room makes it hard to speak.",
    "Share the budget so we can help decide.",
    "Keep us updated even when there is nothing new to say.",
    "Value our time with payment, not just thanks.",
]
WE_DID = [
    "The project now publishes an update after every meeting.",
    "Easy read versions are produced for all papers.",
    "Travel costs are now paid on the day in cash or by transfer.",
    "Evening and weekend sessions were added.",
    "Carers were invited to join the working group.",
    "A plain English glossary was agreed and is used in all papers.",
    "Sessions are now held in community venues on bus routes.",
    "A telephone option was added for people who are not online.",
    "People with lived experience joined the project group from the Assess gate.",
    "Interpreters are booked for every session on request.",
    "The number of staff at sessions is now capped below the number of participants.",
    "The budget options were shared and discussed at the next session.",
    "A training session on co-production was run for the commissioning team.",
    "Reimbursement at the involvement payment rate is now offered for every session.",
]
REASONS = [
    "The change is outside what the ICB commissions; it was passed to the local authority.",
    "The budget for this year does not allow it; it will be reconsidered at the next review.",
    "A national contract sets this and cannot be changed locally.",
    "Other feedback asked for the opposite, and more people supported that option.",
    "The service this was about has been decommissioned.",
]
EVIDENCE = [
    "Local population data and what people said at the listening events.",
    "Feedback from people with lived experience on the project group.",
    "Service activity data broken down by this characteristic.",
    "National evidence and the findings of a similar project elsewhere.",
    "Complaints and compliments about the current service.",
    "Survey responses analysed by this characteristic.",
    "Little local data exists for this group.",
]
MITIGATIONS = [
    "Targeted outreach through community groups before the service changes.",
    "Transport support offered for people who must travel further.",
    "Information provided in accessible formats and other languages.",
    "A telephone route kept for people who cannot use the online service.",
    "The impact will be monitored monthly and reviewed with the working group.",
]
NOT_ASSESSED = [
    "No data was available for this characteristic at the time of the assessment.",
    "The assessment was carried out before this group was added to the template.",
    "The project board judged the change too early to assess; it will be assessed at the Plan gate.",
]
ROLES = [
    "Head of Commissioning",
    "Senior Commissioning Manager",
    "Engagement Lead",
    "Programme Director",
    "Co-production Lead",
    "Transformation Manager",
    "Clinical Lead",
    "Project Manager",
    "Head of Patient Experience",
    "Deputy Director of Strategy",
    "Quality Improvement Lead",
]
GATES = ["assess", "plan", "procure", "monitor_evaluate"]
GATE_WEIGHTS = [30, 30, 20, 20]
LEVELS = ["inform", "consult", "engage", "co_design", "co_production"]
LEVEL_WEIGHTS = [15, 30, 25, 20, 10]
IMPACTS = ["positive", "neutral", "negative", "not_known", "not_assessed"]
IMPACT_WEIGHTS = [35, 40, 8, 10, 7]
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
TRUE_WORDS = ["true", "true", "true", "yes"]
FALSE_WORDS = ["false", "false", "false", "no"]


def weighted(pool: list, weights: list) -> list:
    """The pool with each entry repeated by its weight: a uniform pick from it is a weighted pick."""
    return [item for item, w in zip(pool, weights) for _ in range(w)]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def check_phrases() -> None:
    """Refuse to generate if any phrase would trip the privacy gate (so no row can)."""

    pools = [
        SERVICES,
        SUMMARY_OPENERS,
        SUMMARY_CONTEXT,
        ACTIVITY_TITLES,
        DESCRIPTION_OPENERS,
        DESCRIPTION_MIDDLES,
        DESCRIPTION_CLOSINGS,
        ACCESSIBILITY,
        WHAT_CHANGED,
        YOU_SAID,
        WE_DID,
        REASONS,
        EVIDENCE,
        MITIGATIONS,
        NOT_ASSESSED,
        ROLES,
        [n for _, n, _ in ICBS],
    ]
    for pool in pools:
        for phrase in pool:
            if findings(phrase):
                raise ValueError(f"phrase would trip the privacy gate: {phrase!r}")


def _copy_codelists(src: Package, out: Path, today: dt.date) -> dict:
    """Copy every codelist and source, adding the synthetic source, ICBs and places."""
    data = out / "datasets"
    (data / "codelists").mkdir(parents=True, exist_ok=True)
    for res in src.resources:
        if res.name in (
            "projects",
            "coproduction_log",
            "equality_impacts",
            "you_said_we_did",
            "you_said_we_did_updates",
        ):
            continue
        target = out / res.descriptor["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(res.path, target)

    def append(name: str, rows: list[list]) -> None:
        path = out / src.resource(name).descriptor["path"]
        width = len(src.resource(name).field_names)  # optional fields (closes_loop) left empty
        rows = [row + [""] * (width - len(row)) for row in rows]
        text = path.read_text("utf-8")
        with path.open("a", newline="", encoding="utf-8") as f:
            if text and not text.endswith("\n"):
                f.write("\n")
            csv.writer(f, lineterminator="\n").writerows(rows)

    append(
        "sources",
        [
            [
                SYNTHETIC_SOURCE,
                "Synthetic national register (generated for performance tests)",
                "Rows made up by register/bench/generate.py to measure the register at the scale of all "
                "42 integrated care boards. Not real records.",
                "Co-production Register",
                str(today.year),
                99,
            ]
        ],
    )
    existing_orgs = set(src.codes("organisations"))
    existing_places = set(src.codes("places"))
    orgs, places, icb_places = [], [], {}
    titles = {}
    order = 100
    for code, name, _ in ICBS:
        if code not in existing_orgs:
            orgs.append(
                [
                    code,
                    f"NHS {name} Integrated Care Board",
                    f"Synthetic: the integrated care board for {name}.",
                    order,
                    SYNTHETIC_SOURCE,
                    SECTION,
                ]
            )
        parts = [p.strip() for p in re.split(r",| and ", name) if p.strip() and p.strip() != "the Isles of Scilly"]
        mine = []
        system_code = "nottingham_nottinghamshire" if code == "nn_icb" else slug(name) + "_system"
        if system_code not in existing_places:
            places.append(
                [
                    system_code,
                    f"{name} (system-wide)",
                    f"Synthetic: the whole area of {name}.",
                    order,
                    SYNTHETIC_SOURCE,
                    SECTION,
                ]
            )
        mine.append(system_code)
        titles[system_code] = name
        if len(parts) > 1:
            for part in parts:
                pcode = slug(part)
                if pcode in existing_places or any(p[0] == pcode for p in places):
                    pcode = f"{pcode}_{slug(code)}"
                places.append([pcode, part, f"Synthetic: a place within {name}.", order, SYNTHETIC_SOURCE, SECTION])
                mine.append(pcode)
                titles[pcode] = part
        icb_places[code] = mine
        order += 1
    for p, title in (
        ("south_nottinghamshire", "South Nottinghamshire"),
        ("north_nottinghamshire", "North Nottinghamshire"),
    ):
        if p in existing_places:
            icb_places["nn_icb"].append(p)
            titles[p] = title
    append("organisations", orgs)
    append("places", places)
    return icb_places, titles


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
    if out.exists():
        shutil.rmtree(out)
    (out / "schemas").mkdir(parents=True)
    shutil.copyfile(src.descriptor_path, out / "datapackage.json")
    for schema in (src.root / "schemas").glob("*.json"):
        shutil.copyfile(schema, out / "schemas" / schema.name)
    if (src.root / "metadata.yml").exists():
        shutil.copyfile(src.root / "metadata.yml", out / "metadata.yml")
    icb_places, place_titles = _copy_codelists(src, out, today)
    icb_names = {c: n for c, n, _ in ICBS}

    rng = random.Random(seed)
    rnd = rng.random
    activity_types = weighted(list(ACTIVITY_TYPE_WEIGHTS), list(ACTIVITY_TYPE_WEIGHTS.values()))
    assert set(activity_types) <= set(src.codes("activity_types"))
    characteristics = src.codes("characteristics")
    groups = src.codes("groups")
    themes = src.codes("themes")
    formats = weighted(["in_person", "online", "hybrid", ""], [50, 30, 15, 5])
    gates = weighted(GATES, GATE_WEIGHTS)
    levels = weighted(LEVELS, LEVEL_WEIGHTS)
    impacts = weighted(IMPACTS, IMPACT_WEIGHTS)

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
    names = ["projects", "coproduction_log", "equality_impacts", "you_said_we_did", "you_said_we_did_updates"]
    files = {n: (data / f"{n}.csv").open("w", newline="", encoding="utf-8", buffering=1 << 20) for n in names}
    for n in names:
        files[n].write(",".join(src.resource(n).field_names) + "\n")
    w_prj, w_log, w_eia, w_ys, w_upd = (files[n].write for n in names)
    n_log = n_eia = n_ys = n_upd = 0
    fmt = {k: f"{k}-%0{v}d" for k, v in width.items()}
    f_prj, f_log, f_eia, f_ys, f_upd = fmt["PRJ"], fmt["LOG"], fmt["EIA"], fmt["YS"], fmt["UPD"]
    type_titles = {c: c.replace("_", " ").capitalize() for c in ACTIVITY_TYPE_WEIGHTS}
    gate_index = {g: i for i, g in enumerate(GATES)}
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
            a_gate = GATES[min(g, a_index * (g + 1) // k)]
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
                w_ys(f"{yid},{pid},{lid},{day_str},{pick(themes)},{pick(you_said)},{target}{tail}")
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


def _accumulate(values):
    total = 0
    for v in values:
        total += v
        yield total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--size", type=int, default=10_000, help="rows of the largest resource, the co-production log (default 10000)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", default=None, help="the date the register is generated on (YYYY-MM-DD)")
    parser.add_argument("--out", default=None, help="output directory (default build/synthetic/<size>)")
    args = parser.parse_args(argv)
    out = Path(args.out) if args.out else ROOT / "build" / "synthetic" / str(args.size)
    start = time.perf_counter()
    counts = generate(out, args.size, seed=args.seed, today=dt.date.fromisoformat(args.today) if args.today else None)
    took = time.perf_counter() - start
    total = sum(counts.values())
    print(
        f"Wrote {out}: {total:,} rows in {took:.1f} s ({total / took:,.0f} rows/s): "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

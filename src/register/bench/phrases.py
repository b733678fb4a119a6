"""The words a synthetic register is made of: the 42 ICBs of England, services, and the
phrases free text is assembled from. Each phrase must pass the privacy gate
(register/checks/privacy.py), so that no generated row can trip it: check_phrases()."""

from __future__ import annotations

from register.checks.privacy import findings

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

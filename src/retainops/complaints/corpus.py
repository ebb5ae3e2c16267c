"""Complaint texts with known groups and varied wording: the test corpus of the theme
model, and the words of the demo's complaints.

Each group names what clients complain of in several ways (the thing, what went wrong
with it, what it cost them); a text picks one wording of each at random and wraps it in
phrases any complaint might use, so two texts of one group may share few words, and
texts of different groups share the wrapping.
"""

import random
from dataclasses import dataclass

GROUPS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "late-reports": (
        ["monthly report", "performance report", "reporting pack", "report"],
        [
            "arrived late",
            "came weeks late",
            "is always late",
            "was overdue",
            "never arrives on time",
        ],
        ["with no commentary", "missing the analysis", "without any explanation of the numbers"],
    ),
    "billing": (
        ["invoice", "bill", "billing statement", "charge"],
        [
            "was wrong",
            "charged us twice",
            "double charged us",
            "overcharged us",
            "had the wrong amount",
        ],
        ["we want a refund", "send a credit note", "correct the invoice"],
    ),
    "slow-site": (
        ["website", "site", "landing page", "web pages"],
        ["loads slowly", "is very slow", "takes ages to load", "keeps timing out", "is down again"],
        ["we are losing visitors", "customers leave the site", "mobile speed is terrible"],
    ),
    "unanswered": (
        ["calls", "emails", "messages", "voicemails"],
        ["go unanswered", "are not returned", "get no reply", "were ignored"],
        ["by our account manager", "nobody called back", "no response for days"],
    ),
    "ad-spend": (
        ["ad budget", "ad spend", "paid search budget", "campaign budget"],
        ["was overspent", "was exceeded", "ran over", "burned through too fast"],
        ["without our approval", "before the month ended", "with no warning"],
    ),
}
OPENINGS = ["We are not happy.", "This is unacceptable.", "Frankly disappointing.", "Again!", ""]
CLOSINGS = ["Please sort this out.", "We expect better.", "Call us today.", ""]


@dataclass(frozen=True)
class SampleComplaint:
    summary: str
    description: str
    group: str


def sample(group: str, rng: random.Random) -> SampleComplaint:
    things, faults, costs = GROUPS[group]
    thing, fault, cost = rng.choice(things), rng.choice(faults), rng.choice(costs)
    description = f"{rng.choice(OPENINGS)} Our {thing} {fault}, {cost}. {rng.choice(CLOSINGS)}"
    return SampleComplaint(f"{thing.capitalize()} {fault}", description.strip(), group)


def generate(per_group: int, seed: int = 0) -> list[SampleComplaint]:
    """`per_group` complaints of every group, shuffled."""
    rng = random.Random(seed)
    texts = [sample(group, rng) for group in GROUPS for _ in range(per_group)]
    rng.shuffle(texts)
    return texts

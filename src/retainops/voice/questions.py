"""The questions of a survey version and the checking of answers against them.

A question is a dict: `key` (slug), `kind` (nps 0-10, csat 1-5, scale with `min` and
`max`, choice with `choices`, text), `label`, and `required`. A definition of kind NPS
must start with an nps question, CSAT with a csat one; a `why` text question may follow.
"""

import re
from typing import Any

from retainops.core.errors import Problems
from retainops.voice.choices import QuestionKind, SurveyKind

RANGES = {QuestionKind.NPS: (0, 10), QuestionKind.CSAT: (1, 5)}
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def standard_questions(kind: str) -> list[dict[str, Any]]:
    """The questions a new NPS or CSAT definition starts with."""
    if kind == SurveyKind.NPS:
        first = {
            "key": "score",
            "kind": "nps",
            "label": "How likely are you to recommend us to a friend or colleague?",
            "required": True,
        }
    elif kind == SurveyKind.CSAT:
        first = {
            "key": "score",
            "kind": "csat",
            "label": "How satisfied are you with our service?",
            "required": True,
        }
    else:
        return []
    why = {"key": "why", "kind": "text", "label": "Why?", "required": False}
    return [first, why]


def bounds(question: dict[str, Any]) -> tuple[int, int] | None:
    kind = question["kind"]
    if kind in RANGES:
        return RANGES[kind]
    if kind == QuestionKind.SCALE:
        return int(question["min"]), int(question["max"])
    return None


def check_questions(kind: str, questions: Any) -> list[dict[str, Any]]:
    """The questions, normalised, or ValidationError naming `questions[i].field`."""
    problems = Problems()
    if not isinstance(questions, list) or not questions:
        problems.add("questions", "A survey needs at least one question.")
        problems.raise_if_any()
    clean: list[dict[str, Any]] = []
    keys: set[str] = set()
    for i, q in enumerate(questions):
        at = f"questions[{i}]"
        if not isinstance(q, dict):
            problems.add(at, "Each question is an object.")
            continue
        key, qkind, label = str(q.get("key", "")), q.get("kind"), str(q.get("label", "")).strip()
        if not KEY.match(key):
            problems.add(f"{at}.key", "Use lower-case letters, digits and underscores.")
        elif key in keys:
            problems.add(f"{at}.key", f"Two questions are keyed {key!r}.")
        keys.add(key)
        if qkind not in QuestionKind.values:
            problems.add(f"{at}.kind", f"Choose one of: {', '.join(QuestionKind.values)}.")
            continue
        if not label:
            problems.add(f"{at}.label", "Give the question its wording.")
        item: dict[str, Any] = {
            "key": key,
            "kind": qkind,
            "label": label,
            "required": bool(q.get("required", True)),
        }
        if qkind == QuestionKind.SCALE:
            low, high = q.get("min"), q.get("max")
            if not isinstance(low, int) or not isinstance(high, int) or low >= high:
                problems.add(f"{at}.max", "A scale needs whole numbers min < max.")
            item |= {"min": low, "max": high}
        if qkind == QuestionKind.CHOICE:
            choices = q.get("choices")
            if not isinstance(choices, list) or len(choices) < 2:
                problems.add(f"{at}.choices", "A choice question needs at least two choices.")
            item["choices"] = [str(c) for c in choices or []]
        clean.append(item)
    firsts: dict[str, str] = {SurveyKind.NPS: QuestionKind.NPS, SurveyKind.CSAT: QuestionKind.CSAT}
    wanted = firsts.get(kind)
    if wanted and clean and clean[0]["kind"] != wanted:
        problems.add(
            "questions[0].kind", f"A {kind.upper()} survey starts with its {wanted} question."
        )
    problems.raise_if_any()
    return clean


def check_answers(questions: list[dict[str, Any]], raw: dict[str, Any]) -> dict[str, Any]:
    """Each question's answer, typed, or ValidationError naming the question's key;
    a number outside its range is refused."""
    problems = Problems()
    values: dict[str, Any] = {}
    for q in questions:
        key, given = q["key"], raw.get(q["key"])
        if given is None or (isinstance(given, str) and not given.strip()):
            if q.get("required"):
                problems.add(key, "Please answer this question.")
            continue
        limits = bounds(q)
        if limits is not None:
            try:
                number = int(str(given).strip())
            except ValueError:
                problems.add(key, "Choose a number.")
                continue
            if not limits[0] <= number <= limits[1]:
                problems.add(key, f"Choose a number from {limits[0]} to {limits[1]}.")
                continue
            values[key] = number
        elif q["kind"] == QuestionKind.CHOICE:
            if str(given) not in q["choices"]:
                problems.add(key, "Choose one of the options.")
                continue
            values[key] = str(given)
        else:
            text = str(given).strip()
            if len(text) > 4000:
                problems.add(key, "Keep it under 4000 characters.")
                continue
            values[key] = text
    problems.raise_if_any()
    return values

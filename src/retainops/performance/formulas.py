"""KPI formulas: expressions over the base metrics, checked when saved and evaluated by
simpleeval (no Python beyond arithmetic; a name outside the base metrics is refused)."""

import ast
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from simpleeval import SimpleEval

from retainops.performance.choices import BaseMetric

BASE = [m.value for m in BaseMetric]


def names_in(formula: str) -> set[str]:
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise ValidationError({"formula": [f"The formula does not parse: {formula!r}."]}) from None
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def check_formula(formula: str) -> None:
    """Refuse a formula that does not parse, names an unknown metric, or does not compute."""
    if not formula.strip():
        raise ValidationError({"formula": ["A KPI needs a formula."]})
    unknown = sorted(names_in(formula) - set(BASE))
    if unknown:
        raise ValidationError(
            {
                "formula": [
                    f"Unknown metric{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}. "
                    f"A formula may use {', '.join(BASE)}."
                ]
            }
        )
    try:
        evaluate(formula, dict.fromkeys(BASE, 1.0))
    except Exception as error:
        raise ValidationError({"formula": [f"The formula does not compute: {error}."]}) from None


def evaluate(formula: str, totals: Mapping[str, float]) -> float | None:
    """The formula over `totals` (absent metrics are 0); None where it divides by zero."""
    names = {name: float(totals.get(name, 0.0)) for name in BASE}
    evaluator = SimpleEval(names=names, functions={"max": max, "min": min})
    try:
        result = evaluator.eval(formula)
    except ZeroDivisionError:
        return None
    return float(result)

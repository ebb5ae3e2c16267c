"""axe-core (npm, `make install`) injected into a Playwright page, and screenshots kept
under var/screenshots/ for CI to publish."""

import json
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "screenshots"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
FAILING_IMPACTS = {"serious", "critical"}
# Every rule of these tags runs, colour contrast included (the style sheet's colour tokens
# are also checked on their own, in src/retainops/tests/test_design.py).


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical WCAG 2.2 A/AA violations axe finds on the page as it is."""
    if not AXE_SCRIPT.exists():
        raise AssertionError(f"axe-core is missing: run `make install` (npm ci) for {AXE_SCRIPT}")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the browser's debugging protocol, which the pages' CSP
        # (script-src 'self') does not govern: the policy stays as strict as in use.
        page.evaluate(AXE_SCRIPT.read_text())
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
    result = page.evaluate("options => axe.run(document, options)", options)
    return [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per rule: its id, what it asks for, and the first elements that break it."""
    lines = []
    for violation in violations:
        targets = [json.dumps(node["target"]) for node in violation["nodes"][:3]]
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}; "
            f"{len(violation['nodes'])} element(s), e.g. {', '.join(targets)}"
        )
    return "\n".join(lines)


def assert_accessible(page: Page, name: str) -> None:
    violations = serious_violations(page)
    assert not violations, f"axe on {name} ({page.url}):\n{describe(violations)}"


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path

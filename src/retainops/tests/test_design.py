"""The look: the CSS framework is served from our own static files, every page starts
with a skip link to its main content, and every colour pair of the design tokens reads
at WCAG 2.2 AA contrast."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

APP_CSS = Path(settings.BASE_DIR) / "src/retainops/core/static/retainops/app.css"
FOCUSABLE = re.compile(r"<(a|button|input|select|textarea|summary)\b[^>]*>", re.S)
# Every colour the choices give a badge (core.choices.badge and the *_COLOURS maps).
BADGE_COLOURS = ("grey", "blue", "green", "amber", "orange", "red")


def first_focusable(html: str) -> str:
    body = html[html.index("<body") :]
    found = FOCUSABLE.search(body[body.index(">") + 1 :])
    assert found, "nothing focusable on the page"
    return found.group(0)


def assert_skip_link_and_main(html: str) -> None:
    first = first_focusable(html)
    assert 'class="skip-link"' in first and 'href="#content"' in first, first
    assert re.search(r'<main id="content"', html), 'no <main id="content">'
    assert "Skip to content</a>" in html


def test_the_framework_stylesheet_is_found_by_the_static_files_finders():
    found = finders.find("vendor/pico/pico.min.css")

    assert found, "run `make install` (npm ci) so node_modules holds Pico"
    assert "Pico CSS" in Path(found).read_text()[:400]


@pytest.mark.django_db
def test_pages_link_the_framework_before_our_stylesheet(client, administrator):
    client.force_login(administrator)

    page = client.get("/clients/").content.decode()

    assert page.index("vendor/pico/pico.min.css") < page.index("retainops/app.css")


@pytest.mark.django_db
def test_staff_pages_start_with_a_skip_link_to_the_main_content(client, administrator):
    client.force_login(administrator)

    for path in ("/", "/clients/", "/work/"):
        assert_skip_link_and_main(client.get(path).content.decode())


@pytest.mark.django_db
def test_the_sign_in_and_portal_pages_start_with_a_skip_link(client):
    assert_skip_link_and_main(client.get("/login/").content.decode())
    answer = client.get("/portal/not-a-token/")
    assert answer.status_code == 404
    assert_skip_link_and_main(answer.content.decode())


def test_every_page_layout_has_the_skip_link_first():
    """Any template that opens a whole HTML page (a base other pages extend) has it."""
    root = Path(settings.BASE_DIR) / "src/retainops"
    layouts = [
        path
        for path in root.rglob("templates/**/*.html")
        if "<!doctype html>" in path.read_text().lower()
        # A report written for PDF and e-mail, not a page to navigate.
        and path.name != "report_document.html"
    ]
    assert len(layouts) >= 2
    for path in layouts:
        source = path.read_text()
        assert_skip_link_and_main(source.replace("{% block content %}", ""))


# Contrast, as WCAG 2.2 defines it (relative luminance of sRGB colours).


def tokens() -> dict[str, str]:
    css = APP_CSS.read_text()
    return dict(re.findall(r"--([a-z0-9-]+):\s*(#[0-9a-fA-F]{6})\b", css))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_every_badge_colour_has_a_token_pair():
    found = tokens()
    for colour in BADGE_COLOURS:
        assert f"badge-{colour}-fg" in found and f"badge-{colour}-bg" in found, colour


def test_every_colour_pair_of_the_tokens_reaches_aa_contrast():
    found = tokens()
    pairs = {name[: -len("-fg")] for name in found if name.endswith("-fg")}
    assert {"text", "muted", "link", "primary", "secondary", "danger", "error"} <= pairs
    for name in sorted(pairs):
        assert f"{name}-bg" in found, f"--{name}-fg has no --{name}-bg"
        ratio = contrast(found[f"{name}-fg"], found[f"{name}-bg"])
        assert ratio >= 4.5, f"--{name}-fg on --{name}-bg is {ratio:.2f}:1, below 4.5:1"


def test_muted_text_and_links_also_read_on_white_cards():
    found = tokens()
    for name in ("muted-fg", "link-fg", "error-fg", "success-fg", "warning-fg"):
        assert contrast(found[name], found["text-bg"]) >= 4.5, name


def test_a_light_colour_would_fail_the_check():
    """The check is real: the old amber badge (white on #b7791f) is below AA."""
    assert contrast("#ffffff", "#b7791f") < 4.5

"""The product's charts: SVG drawn on the server, with the numbers beside it."""

import pytest
from django.template import Context, Template

from retainops.core.charts import Band, Series, bar_chart, heat_map, line_chart


def test_a_line_chart_is_inline_svg_sized_by_the_page() -> None:
    drawn = line_chart(
        title="Health over the year",
        x_labels=["Jan", "Feb", "Mar"],
        series=[Series.of("Score", [71, 64.5, None]), Series.of("Target", [70, 70, 70])],
        bands=[Band(0, 40, "red")],
    )
    assert drawn.svg.startswith("<svg")
    assert 'width="100%"' in drawn.svg
    assert "<script" not in drawn.svg
    assert "Score" in drawn.svg and "Target" in drawn.svg  # the legend, as text
    assert drawn.rows == (("Jan", "71", "70"), ("Feb", "64.50", "70"), ("Mar", "\N{EN DASH}", "70"))


def test_the_same_numbers_draw_the_same_bytes() -> None:
    first = bar_chart(
        title="Requests by stage", categories=["Draft", "Review"], series=[Series.of("n", [3, 5])]
    )
    second = bar_chart(
        title="Requests by stage", categories=["Draft", "Review"], series=[Series.of("n", [3, 5])]
    )
    third = bar_chart(
        title="Requests by stage", categories=["Draft", "Review"], series=[Series.of("n", [3, 6])]
    )
    assert first.svg == second.svg
    assert first.svg != third.svg


def test_a_chart_also_comes_as_png_for_documents_and_mail() -> None:
    drawn = line_chart(title="MRR", x_labels=["a", "b"], series=[Series.of("MRR", [1, 2])])
    assert drawn.png()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_heat_map_refuses_a_grid_that_does_not_fit_its_labels() -> None:
    with pytest.raises(ValueError, match="one row per row label"):
        heat_map(title="Gaps", row_labels=["Mon"], column_labels=["09:00", "09:30"], values=[[1.0]])
    drawn = heat_map(
        title="Gaps", row_labels=["Mon"], column_labels=["09:00", "09:30"], values=[[-2, 3]]
    )
    assert drawn.rows == (("Mon", "-2", "3"),)


def test_the_template_tag_prints_figure_caption_and_numbers() -> None:
    drawn = bar_chart(
        title="Open complaints", categories=["Unit A"], series=[Series.of("Open", [4])]
    )
    html = Template("{% load charts %}{% chart drawn %}").render(Context({"drawn": drawn}))
    assert '<figure class="chart chart-bar">' in html
    assert 'aria-label="Open complaints"' in html
    assert "<svg" in html and "&lt;svg" not in html
    assert '<th scope="row">Unit A</th><td class="num">4</td>' in html
    assert Template("{% load charts %}{% chart nothing %}").render(Context({})) == ""

"""`{% chart c %}`: a drawn chart with its title and the numbers behind it."""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from retainops.core.charts import Chart

register = template.Library()


@register.simple_tag
def chart(drawn: Chart | None, caption: str = "") -> SafeString:
    """The SVG (drawn by us from numbers, never from user markup) and a table for screen readers."""
    if not isinstance(drawn, Chart):  # unset in the context, or nothing to draw yet
        return mark_safe("")
    return render_to_string(
        "core/chart.html",
        {"chart": drawn, "svg": mark_safe(drawn.svg), "caption": caption or drawn.title},
    )

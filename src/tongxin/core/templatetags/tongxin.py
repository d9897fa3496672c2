"""Template tags of the generic views."""

from django import template

register = template.Library()


@register.simple_tag
def cell(column, obj):
    """Render one table cell."""
    return column.html(obj)

"""Template helpers of the patients area."""

from django import template

from parcours.patients.cog import place_label

register = template.Library()


@register.filter
def birthplace(code: str) -> str:
    """An INSEE birthplace code as people read it: « Laval (53) — 53130 », « Étranger —
    99134 », the bare code when the COG does not know it, "" when empty."""
    return place_label(code or "")

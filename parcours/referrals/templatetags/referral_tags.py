from django import template
from django.utils import timezone
from django.utils.html import format_html

from parcours.referrals.workflow import Clock

register = template.Library()


def _duration(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} j {hours} h"
    if hours:
        return f"{hours} h {minutes:02d}"
    return f"{minutes} min"


@register.simple_tag
def clock_badge(referral):
    state = referral.clock()
    label = Clock(state).label
    if state in (Clock.ON_TIME, Clock.AT_RISK):
        left = (referral.due_at - timezone.now()).total_seconds()
        text = f"{label} · reste {_duration(left)}"
    elif state == Clock.OVERDUE:
        late = (timezone.now() - referral.due_at).total_seconds()
        text = f"{label} de {_duration(late)}"
    else:
        text = label
    due = timezone.localtime(referral.due_at).strftime("%d/%m/%Y %H:%M")
    return format_html('<span class="clock clock-{}" title="Réponse attendue avant le {}">'
                       '{}</span>', state, due, text)


@register.simple_tag
def status_badge(referral):
    return format_html('<span class="status status-{}">{}</span>', referral.status,
                       referral.get_status_display())

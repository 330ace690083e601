from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from parcours.referrals.workflow import Clock

register = template.Library()


def _duration(seconds: float) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d j %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.simple_tag
def clock_badge(referral):
    state = referral.clock()
    label = Clock(state).label
    if state in (Clock.ON_TIME, Clock.AT_RISK):
        left = (referral.due_at - timezone.now()).total_seconds()
        text = _("%(label)s · reste %(duration)s") % {"label": label, "duration": _duration(left)}
    elif state == Clock.OVERDUE:
        late = (timezone.now() - referral.due_at).total_seconds()
        text = _("%(label)s de %(duration)s") % {"label": label, "duration": _duration(late)}
    elif referral.answered_at:
        # After the answer the clock tells whether the promise was kept, not just "done".
        state = "kept" if referral.answered_on_time else "late"
        text = (
            _("Répondue dans les délais") if referral.answered_on_time else _("Répondue hors délai")
        )
    elif state == Clock.DONE:
        return ""
    else:
        text = label
    due = timezone.localtime(referral.due_at).strftime("%d/%m/%Y %H:%M")
    title = _("Réponse attendue avant le %(due)s") % {"due": due}
    return format_html('<span class="clock clock-{}" title="{}">{}</span>', state, title, text)


@register.simple_tag
def status_badge(referral):
    return format_html(
        '<span class="status status-{}">{}</span>', referral.status, referral.get_status_display()
    )

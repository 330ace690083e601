from parcours.accounts.scopes import (
    desk_hospital_ids,
    doctor_service_ids,
    is_gp,
    is_identity_cell,
    is_territory_admin,
)
from parcours.messaging.models import MailboxEntry
from parcours.notifications.models import Notification
from parcours.proximity.access import is_smp_member
from parcours.records.selectors import networks_for
from parcours.scheduling.access import managed_schedules


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    mine = Notification.objects.filter(user=user)
    runs_agenda = _runs_an_agenda(user)
    return {
        "nav": {
            "gp": is_gp(user),
            "desk": bool(desk_hospital_ids(user)),
            "doctor": bool(doctor_service_ids(user)),
            "admin": is_territory_admin(user),
            "reviewer": bool(desk_hospital_ids(user)) or is_identity_cell(user),
            "agendas": is_gp(user) or runs_agenda,
            "networks": networks_for(user=user).exists(),
            "proximity": is_smp_member(user),
            "indicators": is_territory_admin(user)
            or bool(desk_hospital_ids(user))
            or bool(doctor_service_ids(user))
            or runs_agenda,
        },
        "mail_unread": MailboxEntry.objects.filter(
            user=user, read_at__isnull=True, box=MailboxEntry.Box.INBOX
        ).count(),
        "unread_count": mine.filter(read_at__isnull=True).count(),
        "last_notification_id": mine.order_by("-id").values_list("id", flat=True).first() or 0,
    }


def _runs_an_agenda(user) -> bool:
    return managed_schedules(user).exists()

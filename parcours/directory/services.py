"""Writes on the directory: local edits of contact modalities.

These fields are local columns the Annuaire Santé import never writes, so an edit survives
every re-import. Each changed field leaves a ``ContactEdit`` row (who, when, old, new). Who may
edit is decided in ``access.py``; the views check it before calling."""

from parcours.lib.actions import action

from .models import ContactEdit, HospitalService, Practitioner

PRACTITIONER_CONTACT_FIELDS = ("phone", "mssante", "email", "preferred_channel", "contact_hours")
SERVICE_CONTACT_FIELDS = ("senior_line", "senior_line_hours", "phone")


def _apply(obj, fields, data: dict, actor, **target) -> list[str]:
    changed = []
    for name in fields:
        if name not in data:
            continue
        new = (data[name] or "").strip()
        old = getattr(obj, name)
        if new != old:
            setattr(obj, name, new)
            changed.append(name)
            ContactEdit.objects.create(
                field=name, old_value=old[:254], new_value=new[:254], edited_by=actor, **target
            )
    if changed:
        obj.save(update_fields=changed)
    return changed


@action
def practitioner_update_contact(*, actor, practitioner: Practitioner, data: dict) -> list[str]:
    practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
    return _apply(practitioner, PRACTITIONER_CONTACT_FIELDS, data, actor, practitioner=practitioner)


@action
def service_update_contact(*, actor, service: HospitalService, data: dict) -> list[str]:
    service = HospitalService.objects.select_for_update().get(pk=service.pk)
    return _apply(service, SERVICE_CONTACT_FIELDS, data, actor, service=service)

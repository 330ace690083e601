"""Writes on patient identities."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.services import audit_log
from parcours.lib.ins import InsError, check_nir
from parcours.lib.text import ins_form, is_ins_name, search_key

from .models import CareLink, Patient


@dataclass
class PatientResult:
    patient: Patient
    created: bool


def _clean_identity(*, birth_name, birth_given_names, birth_date, sex, birthplace_insee,
                    ins_nir, used_name, used_first_name) -> dict:
    errors: dict[str, str] = {}
    data = {
        "birth_name": ins_form(birth_name or ""),
        "birth_given_names": ins_form(birth_given_names or ""),
        "used_name": ins_form(used_name or ""),
        "used_first_name": (used_first_name or "").strip(),
        "birth_date": birth_date,
        "sex": sex,
        "birthplace_insee": (birthplace_insee or "").strip().upper(),
        "ins_nir": "",
    }
    for field, required in (("birth_name", _("Le nom de naissance est obligatoire.")),
                            ("birth_given_names",
                             _("Les prénoms de naissance sont obligatoires."))):
        if not data[field]:
            errors[field] = required
        elif not is_ins_name(data[field]):
            errors[field] = _("Seules les lettres, espaces, traits d'union et apostrophes "
                              "sont acceptés.")
    if data["used_name"] and not is_ins_name(data["used_name"]):
        errors["used_name"] = _("Seules les lettres, espaces, traits d'union et apostrophes "
                                "sont acceptés.")
    if not isinstance(birth_date, date):
        errors["birth_date"] = _("La date de naissance est obligatoire.")
    elif birth_date > timezone.localdate() or birth_date.year < 1900:
        errors["birth_date"] = _("La date de naissance n'est pas plausible.")
    if sex not in Patient.Sex.values:
        errors["sex"] = _("Le sexe est obligatoire.")
    code = data["birthplace_insee"]
    if code and not (len(code) == 5 and (code.isdigit() or code[:2] in {"2A", "2B"})
                     and code[2:].isdigit()):
        errors["birthplace_insee"] = _("Le code INSEE du lieu de naissance comporte 5 "
                                       "caractères (99xxx pour une naissance à l'étranger).")
    if ins_nir and ins_nir.strip():
        try:
            data["ins_nir"] = check_nir(ins_nir, sex=sex if sex in {"M", "F"} else None,
                                        birth_date=birth_date if isinstance(birth_date, date)
                                        else None)
        except InsError as exc:
            errors["ins_nir"] = str(exc)
    if errors:
        raise ValidationError(errors)
    return data


def patient_find_existing(*, ins_nir: str, birth_name: str, birth_given_names: str,
                          birth_date: date, sex: str) -> Patient | None:
    """The identity already known for these exact traits or this INS matricule."""
    condition = Q(search_name=search_key(f"{birth_name} {birth_given_names.split(' ')[0]}"),
                  birth_date=birth_date, sex=sex)
    if ins_nir:
        condition |= Q(ins_nir=ins_nir)
    return Patient.objects.filter(condition).order_by("id").first()


def patient_create(*, actor, birth_name: str, birth_given_names: str, birth_date: date,
                   sex: str, birthplace_insee: str = "", ins_nir: str = "",
                   used_name: str = "", used_first_name: str = "",
                   phone: str = "") -> PatientResult:
    """Create a patient, or return the identity that already carries these traits.

    Presenting the five traits (or the INS matricule) of a known identity is how a second
    professional finds it: we link them to it instead of creating a duplicate.
    """
    data = _clean_identity(birth_name=birth_name, birth_given_names=birth_given_names,
                           birth_date=birth_date, sex=sex, birthplace_insee=birthplace_insee,
                           ins_nir=ins_nir, used_name=used_name,
                           used_first_name=used_first_name)
    with transaction.atomic():
        existing = patient_find_existing(
            ins_nir=data["ins_nir"], birth_name=data["birth_name"],
            birth_given_names=data["birth_given_names"], birth_date=data["birth_date"],
            sex=data["sex"])
        if existing is not None:
            if data["ins_nir"] and existing.ins_nir and existing.ins_nir != data["ins_nir"]:
                raise ValidationError({"ins_nir": _("Une identité avec les mêmes traits existe "
                                                    "avec un autre matricule INS : contactez "
                                                    "la cellule d'identitovigilance.")})
            if data["ins_nir"] and not existing.ins_nir:
                existing.ins_nir = data["ins_nir"]
                existing.save(update_fields=["ins_nir"])
            CareLink.objects.get_or_create(patient=existing, user=actor)
            audit_log(user=actor, action="read", obj=existing, patient_id=existing.pk,
                      detail="identité retrouvée par ses traits")
            return PatientResult(existing, created=False)
        patient = Patient(**data, phone=(phone or "").strip(), created_by=actor,
                          search_name=search_key(
                              f"{data['birth_name']} {data['birth_given_names'].split(' ')[0]}"))
        try:
            with transaction.atomic():
                patient.save()
        except IntegrityError as exc:  # a concurrent creation with the same INS matricule
            raise ValidationError({"ins_nir": _("Ce matricule INS est déjà attribué à une "
                                                "autre identité.")}) from exc
        CareLink.objects.create(patient=patient, user=actor)
        audit_log(user=actor, action="create", obj=patient, patient_id=patient.pk)
        return PatientResult(patient, created=True)

"""Identifier and code systems used by the API (documented in docs/fhir.md).

FR Core identifier systems follow docs/standards.md. Parcours' own code systems live under
``CANONICAL``: a stable URI that names them (it does not have to resolve).
"""

CANONICAL = "https://parcours.esante.example/fhir"

# FR Core identifier systems (docs/standards.md)
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"
INS_NIR_TEST = "urn:oid:1.2.250.1.213.1.4.10"
INS_NIR_DEMO = "urn:oid:1.2.250.1.213.1.4.11"
INS_SYSTEMS = (INS_NIR, INS_NIA, INS_NIR_TEST, INS_NIR_DEMO)
ID_NAT_PS = "urn:oid:1.2.250.1.71.4.2.1"
RPPS = "https://rpps.esante.gouv.fr"
ID_NAT_STRUCT = "urn:oid:1.2.250.1.71.4.2.2"
FINESS = "https://finess.esante.gouv.fr"

# FR Core identifier types (fr-core-cs-v2-0203: INS-NIR, INS-NIA, PI, IDNST, SIRET…).
FR_CORE_V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
SIRET = "https://sirene.fr"
# Identity reliability (FR Core extension fr-core-identity-reliability): its sub-extension
# identityStatus takes the four RNIV statuses of fr-core-cs-identity-status (PROV, VALI,
# RECUP, QUAL — RNIV [EXI SI 07]); validationMode the document checked
# (fr-core-cs-mode-validation-identity); validationDate the day it was checked.
FR_CORE_IDENTITY_RELIABILITY = (
    "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
)
IDENTITY_STATUS_SYSTEM = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status"
IDENTITY_VALIDATION_MODE = (
    "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity"
)
# The whole list of birth given names, space-separated, on the official name (FR Core: the
# first one alone goes in name.given).
BIRTH_LIST_GIVEN_NAME = (
    "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
)
FR_CORE_INSEE_CODE = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
COG_COMMUNES = "urn:oid:1.2.250.1.213.2.12"
BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"

# ANS terminologies (NOS) the Annuaire Santé codes professions and specialties with
# (https://mos.esante.gouv.fr/NOS; FR Core and Annuaire guide PractitionerRole examples).
TRE_G15_PROFESSION = (
    "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"
)
TRE_R38_SPECIALTY = (
    "https://mos.esante.gouv.fr/NOS/TRE_R38-SpecialiteOrdinale/FHIR/TRE-R38-SpecialiteOrdinale"
)

# Parcours' own systems
PATIENT_ID = f"{CANONICAL}/sid/patient"
HEALTHCARE_SERVICE_ID = f"{CANONICAL}/sid/healthcare-service"
REFERRAL_ID = f"{CANONICAL}/sid/referral"
REFERRAL_CATEGORY = f"{CANONICAL}/CodeSystem/referral-category"
TASK_BUSINESS_STATUS = f"{CANONICAL}/CodeSystem/task-business-status"
TASK_OUTPUT_TYPE = f"{CANONICAL}/CodeSystem/task-output-type"
ANSWER_KIND = f"{CANONICAL}/CodeSystem/answer-kind"
ORGANISATION_KIND = f"{CANONICAL}/CodeSystem/organisation-kind"
CONTACT_LINE = f"{CANONICAL}/CodeSystem/contact-line"

TASK_STATUS = "http://hl7.org/fhir/task-status"
TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"

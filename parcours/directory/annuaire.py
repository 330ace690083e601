"""Import of the Annuaire Santé open-data extract (``PS_LibreAcces_Personne_activite``).

One row per activity of a professional, ``|``-separated with a header row and a trailing
``|``. The file (about two million rows nationally) is read as a stream of byte lines, each
checked and reduced to the columns we keep, and loaded into a temporary staging table —
PostgreSQL ``COPY``, SQLite ``executemany`` — in chunks, so memory stays flat whatever the
size. Set-based SQL then merges the staging table into the directory in three statements
(structures, professionals, activities), each an ``INSERT … ON CONFLICT DO UPDATE`` that only
touches rows whose imported columns differ, and one ``UPDATE`` per table marks what the file no
longer holds as inactive (never deleted: referrals and history keep their links).

Keys: professionals by their national id (``"8"`` + RPPS or ``"0"`` + ADELI), structures by
"Identifiant technique de la structure", activities by national id | structure | profession |
skill | mode. Imported rows carry ``source = annuaire``. The import writes only the imported
columns: locally edited contact modalities live in columns the SQL below never names.

Everything runs in one transaction: a failure leaves the directory as it was.
"""

# SQL below is assembled from this module's constant table and column names only; file values
# travel through COPY or query parameters.
# ruff: noqa: S608
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from parcours.lib.actions import action_scope
from parcours.lib.encodings import decode_french

from .keys import family_words, fold, practitioner_key
from .models import ImportRun, Organisation

IMPORT_MAX_ERRORS_KEPT = 1000
CHUNK_ROWS = 20_000
SAMPLE_BYTES = 1 << 20

# Header labels of the columns we read (the file has 52; the rest are ignored).
COLUMNS = {
    "id_type": "Type d'identifiant PP",
    "id_pp": "Identifiant PP",
    "national_id": "Identification nationale PP",
    "title_code": "Code civilité d'exercice",
    "last_name": "Nom d'exercice",
    "first_name": "Prénom d'exercice",
    "profession_code": "Code profession",
    "profession": "Libellé profession",
    "skill_code": "Code savoir-faire",
    "skill": "Libellé savoir-faire",
    "mode_code": "Code mode exercice",
    "mode": "Libellé mode exercice",
    "siret": "Numéro SIRET site",
    "finess": "Numéro FINESS site",
    "finess_legal": "Numéro FINESS établissement juridique",
    "structure_id": "Identifiant technique de la structure",
    "company": "Raison sociale site",
    "sign": "Enseigne commerciale site",
    "street_number": "Numéro Voie (coord. structure)",
    "street_repeat": "Indice répétition voie (coord. structure)",
    "street_type": "Libellé type de voie (coord. structure)",
    "street": "Libellé Voie (coord. structure)",
    "postcode": "Code postal (coord. structure)",
    "town": "Libellé commune (coord. structure)",
    "phone": "Téléphone (coord. structure)",
    "email": "Adresse e-mail (coord. structure)",
    "sector": "Libellé secteur d'activité",
}

# The staging table: what one file row becomes. Lengths follow the model fields; longer
# values are cut rather than failing the whole load.
STAGE = [
    ("line_no", None),
    ("national_id", 20),
    ("rpps", 11),
    ("adeli", 9),
    ("title", 20),
    ("last_name", 100),
    ("first_name", 100),
    ("p_key", 220),
    ("f_key", 100),
    ("profession", 100),
    ("specialty", 100),
    ("mode", 100),
    ("structure_id", 30),
    ("org_name", 200),
    ("org_kind", 20),
    ("org_key", 200),
    ("siret", 14),
    ("finess", 9),
    ("finess_legal", 9),
    ("address", 200),
    ("postcode", 5),
    ("town", 100),
    ("town_key", 100),
    ("phone", 30),
    ("email", 254),
    ("sector", 150),
    ("role_key", 120),
    ("profession_code", 10),
    ("specialty_code", 10),
]
STAGE_COLUMNS = [name for name, _ in STAGE]
TITLES = {"DR": "Dr", "PR": "Pr"}


class AnnuaireFormatError(Exception):
    """The file cannot be read as an Annuaire Santé extract (nothing is imported)."""


@dataclass
class Counts:
    added: int = 0
    changed: int = 0
    gone: int = 0


@dataclass
class ImportResult:
    run: ImportRun
    rows_read: int = 0
    rows_rejected: int = 0
    errors: list[dict] = field(default_factory=list)
    practitioners: Counts = field(default_factory=Counts)
    organisations: Counts = field(default_factory=Counts)
    roles: Counts = field(default_factory=Counts)
    timings: dict[str, float] = field(default_factory=dict)


# --- reading ---------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """The Python codec of the extract, from its first megabyte: a byte-order mark, else
    strict UTF-8, else the French code page that reads it cleanly (Windows-1252, Latin-1,
    Latin-9, CP850), by ``parcours.lib.encodings`` — the rule the lab importers use. (A general
    detector took a Windows-1252 extract for cp1250: « CŚURDELION ».)"""
    with open(path, "rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    if sample.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if len(sample) == SAMPLE_BYTES and b"\n" in sample:
        sample = sample[: sample.rindex(b"\n") + 1]  # no character cut at the end
    return decode_french(sample)[1]


def _org_kind(sector: str, name: str) -> str:
    s = fold(sector)
    if "ETABLISSEMENT" in s or "HOPITA" in s:
        return Organisation.Kind.HOSPITAL
    n = fold(name)
    if n.startswith("MSP ") or "MAISON DE SANTE" in n or "MAISON DE SANTE" in s:
        return Organisation.Kind.MSP
    if "IMAGERIE" in n or "RADIOLOG" in n:
        return Organisation.Kind.IMAGING
    return Organisation.Kind.PRACTICE


def _address(number: str, repeat: str, street_type: str, street: str) -> str:
    return " ".join(x for x in (number, repeat, street_type, street) if x)


class RowError(ValueError):
    pass


def _reader(columns: list[str]) -> Callable[[list[str], int], tuple]:
    """A function turning the fields of one line into a staging row (or raising RowError)."""
    missing = [label for label in COLUMNS.values() if label not in columns]
    if missing:
        raise AnnuaireFormatError(
            "En-tête inattendu : colonnes absentes : "
            + ", ".join(missing[:5])
            + (" …" if len(missing) > 5 else "")
        )
    ix = {key: columns.index(label) for key, label in COLUMNS.items()}
    n = len(columns)
    (
        i_type,
        i_pp,
        i_nat,
        i_title,
        i_last,
        i_first,
        i_prof_code,
        i_prof,
        i_skill_code,
        i_skill,
        i_mode_code,
        i_mode,
        i_siret,
        i_finess,
        i_finess_legal,
        i_struct,
        i_company,
        i_sign,
        i_num,
        i_rep,
        i_stype,
        i_street,
        i_post,
        i_town,
        i_phone,
        i_email,
        i_sector,
    ) = ix.values()
    org_kind_cache: dict[tuple[str, str], str] = {}

    def read(f: list[str], line_no: int) -> tuple:
        # Hot path (two million calls): plain indexing; slices cut over-long values (a slice
        # of a shorter string is the string itself, no copy).
        if len(f) != n:
            raise RowError(f"{len(f)} colonnes au lieu de {n}")
        national_id = f[i_nat].strip()
        id_type, id_pp = f[i_type].strip(), f[i_pp].strip()
        if not national_id:
            raise RowError("identifiant national vide")
        if not national_id.isalnum() or len(national_id) > 20:
            raise RowError(f"identifiant national invalide « {national_id[:30]} »")
        if id_type and id_pp and national_id != id_type + id_pp:
            raise RowError(
                f"identifiant national « {national_id} » ≠ type {id_type} + identifiant {id_pp}"
            )
        last, first = f[i_last].strip()[:100], f[i_first].strip()[:100]
        if not last:
            raise RowError("nom d'exercice vide")
        postcode = f[i_post].strip()
        if postcode and not (len(postcode) == 5 and postcode.isalnum()):
            raise RowError(f"code postal invalide « {postcode[:20]} »")
        structure_id = f[i_struct].strip()
        if len(structure_id) > 30:
            raise RowError("identifiant de structure trop long")
        phone, email = f[i_phone].strip()[:30], f[i_email].strip()[:254]
        head = (
            line_no,
            national_id,
            id_pp[:11] if id_type == "8" else "",
            id_pp[:9] if id_type == "0" else "",
            TITLES.get(f[i_title].strip().upper(), ""),
            last,
            first,
            practitioner_key(last, first)[:220],
            fold(last)[:100],
            f[i_prof].strip()[:100],
            f[i_skill].strip()[:100],
            f[i_mode].strip()[:100],
        )
        # ANS TRE_G15 profession and TRE_R38 (or other savoir-faire) codes, last in STAGE.
        national_codes = (f[i_prof_code].strip()[:10], f[i_skill_code].strip()[:10])
        if not structure_id:
            return (
                head
                + ("", "", "", "", "", "", "", "", "", "", "", phone, email, "", "")
                + national_codes
            )
        name = (f[i_company].strip() or f[i_sign].strip() or f"Structure {structure_id}")[:200]
        sector = f[i_sector].strip()[:150]
        kind = org_kind_cache.get((sector, name))
        if kind is None:
            kind = _org_kind(sector, name)
            if len(org_kind_cache) < 100_000:
                org_kind_cache[(sector, name)] = kind
        town = f[i_town].strip()[:100]
        address = _address(
            f[i_num].strip(), f[i_rep].strip(), f[i_stype].strip(), f[i_street].strip()
        )[:200]
        role_key = "|".join(
            (
                national_id,
                structure_id,
                f[i_prof_code].strip(),
                f[i_skill_code].strip(),
                f[i_mode_code].strip(),
            )
        )[:120]
        return head + (
            structure_id,
            name,
            kind,
            fold(name)[:200],
            f[i_siret].strip()[:14],
            f[i_finess].strip()[:9],
            f[i_finess_legal].strip()[:9],
            address,
            postcode,
            town,
            fold(town)[:100],
            phone,
            email,
            sector,
            role_key,
            *national_codes,
        )

    return read


def read_rows(
    path: Path,
    encoding: str,
    *,
    on_error: Callable[[int, str], None],
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple]:
    """Staging rows of the file, streamed; bad lines go to ``on_error(line_no, message)``."""
    fallback = "cp1252" if encoding.replace("-", "").lower().startswith("utf8") else None
    with open(path, "rb") as fh:
        header = fh.readline()
        if progress:
            progress(len(header))
        try:
            header_text = header.decode(encoding)
        except UnicodeDecodeError as exc:
            raise AnnuaireFormatError(f"En-tête illisible en {encoding}.") from exc
        header_text = header_text.lstrip("\ufeff").rstrip("\r\n")
        if "|" not in header_text:
            raise AnnuaireFormatError("Séparateur « | » introuvable dans l'en-tête.")
        columns = header_text.removesuffix("|").split("|")
        read = _reader([c.strip() for c in columns])
        line_no = 1
        for raw in fh:
            line_no += 1
            if progress:
                progress(len(raw))
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                if fallback is None:
                    on_error(line_no, f"caractères illisibles en {encoding}")
                    continue
                text = raw.decode(fallback, errors="replace")
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            if "\t" in text or "\\" in text or "\x00" in text:
                # Characters the COPY text format would take as separators or escapes.
                text = text.replace("\t", " ").replace("\\", "/").replace("\x00", "")
            try:
                yield read(text.removesuffix("|").split("|"), line_no)
            except RowError as exc:
                on_error(line_no, str(exc))


# --- loading ---------------------------------------------------------------------------------


def _chunks(rows: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _create_stage(cursor, vendor: str) -> None:
    cols = ", ".join(f"{name} {'integer' if size is None else 'text'}" for name, size in STAGE)
    # (Dropped first: an import inside an outer transaction — tests — may follow another.)
    if vendor == "postgresql":
        cursor.execute("DROP TABLE IF EXISTS pg_temp.annuaire_stage")
        cursor.execute(f"CREATE TEMP TABLE annuaire_stage ({cols}) ON COMMIT DROP")
    else:
        cursor.execute("DROP TABLE IF EXISTS temp.annuaire_stage")
        cursor.execute(f"CREATE TEMP TABLE annuaire_stage ({cols})")


def _load_stage(cursor, vendor: str, rows: Iterator[tuple]) -> None:
    names = ", ".join(STAGE_COLUMNS)
    if vendor == "postgresql":
        # COPY text format: one line per row, tab-separated; the chunked writes keep memory
        # flat and cost a fraction of INSERTs.
        with cursor.copy(f"COPY annuaire_stage ({names}) FROM STDIN") as copy:
            # read_rows already removed tabs and backslashes: values need no escaping.
            for chunk in _chunks(rows, CHUNK_ROWS):
                copy.write("".join([f"{row[0]}\t" + "\t".join(row[1:]) + "\n" for row in chunk]))
    else:
        marks = ", ".join("?" for _ in STAGE)
        for chunk in _chunks(rows, CHUNK_ROWS):
            cursor.executemany(f"INSERT INTO annuaire_stage ({names}) VALUES ({marks})", chunk)


# --- merging (set-based SQL) -----------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    table: str
    key: str  # unique column of the target
    stage_key: str  # the staging column holding it
    columns: dict[str, str]  # target column → SQL expression over the source row `s`
    # Columns set only when a row is created (local columns the import must never touch).
    insert_only: dict[str, str]
    source_sql: str  # FROM … (aliases s, and joins) — the deduplicated source rows


PRACTITIONERS = Target(
    table="directory_practitioner",
    key="national_id",
    stage_key="national_id",
    columns={
        "rpps": "s.rpps",
        "adeli": "s.adeli",
        "title": "s.title",
        "last_name": "s.last_name",
        "first_name": "s.first_name",
        "search_key": "s.p_key",
        "family_key": "s.f_key",
        "profession": "s.profession",
        "specialty": "s.specialty",
        "profession_code": "s.profession_code",
        "specialty_code": "s.specialty_code",
        "imported_phone": "s.phone",
        "imported_email": "s.email",
        "source": "'annuaire'",
        "active": "TRUE",
    },
    insert_only={
        "phone": "''",
        "email": "''",
        "mssante": "''",
        "preferred_channel": "''",
        "contact_hours": "''",
    },
    source_sql="annuaire_stage s",
)

ORGANISATIONS = Target(
    table="directory_organisation",
    key="structure_id",
    stage_key="structure_id",
    columns={
        "name": "s.org_name",
        "kind": "s.org_kind",
        "search_key": "s.org_key",
        "finess": "s.finess",
        "finess_legal": "s.finess_legal",
        "siret": "s.siret",
        "address": "s.address",
        "postcode": "s.postcode",
        "town": "s.town",
        "town_key": "s.town_key",
        "phone": "s.phone",
        "email": "s.email",
        "sector": "s.sector",
        "source": "'annuaire'",
        "active": "TRUE",
    },
    insert_only={},
    source_sql="annuaire_stage s",
)

ROLES = Target(
    table="directory_practitionerrole",
    key="import_key",
    stage_key="role_key",
    columns={
        "practitioner_id": "p.id",
        "organisation_id": "o.id",
        "function": "s.mode",
        "phone": "s.phone",
        "email": "s.email",
        "profession": "s.profession",
        "specialty": "s.specialty",
        "profession_code": "s.profession_code",
        "specialty_code": "s.specialty_code",
        "name_key": "s.p_key",
        "postcode": "s.postcode",
        "town_key": "s.town_key",
        "source": "'annuaire'",
        "active": "TRUE",
    },
    insert_only={"service_id": "NULL"},
    source_sql="annuaire_stage s "
    "JOIN directory_practitioner p ON p.national_id = s.national_id "
    "JOIN directory_organisation o ON o.structure_id = s.structure_id",
)


def _dedup_source(t: Target, vendor: str, where: str = "") -> str:
    """The first file row of each key, with the target's values (``SELECT key, cols…``),
    among the rows meeting ``where`` (SQL over ``s``; PostgreSQL)."""
    cols = [f"s.{t.stage_key}"] + list(t.columns.values()) + list(t.insert_only.values())
    if vendor == "postgresql":
        # Identifiers are compared byte-wise (COLLATE "C": same equality, a sort a third
        # faster than through the locale).
        key = f's.{t.stage_key} COLLATE "C"'
        return (
            f"SELECT DISTINCT ON ({key}) {', '.join(cols)} FROM {t.source_sql} "
            f"WHERE s.{t.stage_key} <> ''{f' AND {where}' if where else ''} "
            f"ORDER BY {key}, s.line_no"
        )
    return (
        f"SELECT {', '.join(cols)} FROM {t.source_sql} WHERE s.line_no IN "
        f"(SELECT MIN(line_no) FROM annuaire_stage WHERE {t.stage_key} <> '' "
        f"GROUP BY {t.stage_key})"
    )


def _merge(cursor, t: Target, vendor: str, first_load: bool = False) -> Counts:
    """Upsert the file's rows into ``t`` and mark the vanished ones inactive. A first load
    upserts only the keys already there (a few, or none) and inserts the rest plainly:
    ON CONFLICT's speculative insertion cost about 40 % more over two million new rows."""
    target_cols = [t.key, *t.columns, *t.insert_only]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in t.columns)
    # Only rows whose imported values differ are written (and counted as changed): an
    # unchanged re-import writes nothing. Columns are NOT NULL, so <> is exact.
    differs = " OR ".join(f"t.{c} <> EXCLUDED.{c}" for c in t.columns)
    present = f"EXISTS (SELECT 1 FROM {t.table} t0 WHERE t0.{t.key} = s.{t.stage_key})"
    upsert = (
        f"INSERT INTO {t.table} AS t ({', '.join(target_cols)}) "
        f"{_dedup_source(t, vendor, present if first_load else '')} "
        f"ON CONFLICT ({t.key}) DO UPDATE SET {updates} WHERE {differs}"
    )
    counts = Counts()
    if vendor == "postgresql":
        # xmax = 0 on a freshly inserted row: tells inserts from updates in one pass.
        cursor.execute(
            f"WITH w AS ({upsert} RETURNING (t.xmax = 0) AS added) "
            "SELECT count(*) FILTER (WHERE added), count(*) FILTER (WHERE NOT added) "
            "FROM w"
        )
        counts.added, counts.changed = cursor.fetchone()
        if first_load:
            cursor.execute(
                f"INSERT INTO {t.table} ({', '.join(target_cols)}) "
                f"{_dedup_source(t, vendor, 'NOT ' + present)}"
            )
            counts.added += cursor.rowcount
    else:
        cursor.execute(f"SELECT COUNT(*) FROM {t.table}")
        before = cursor.fetchone()[0]
        # (SQLite needs a WHERE in the SELECT before ON CONFLICT: the dedup source has one.)
        cursor.execute(upsert)
        written = cursor.rowcount
        cursor.execute(f"SELECT COUNT(*) FROM {t.table}")
        counts.added = cursor.fetchone()[0] - before
        counts.changed = written - counts.added
    # Gone: imported rows the file no longer holds become inactive (kept for history).
    cursor.execute(
        f"UPDATE {t.table} SET active = FALSE WHERE source = 'annuaire' AND active "
        f"AND NOT EXISTS (SELECT 1 FROM annuaire_stage s "
        f"WHERE s.{t.stage_key} = {t.table}.{t.key})"
    )
    counts.gone = cursor.rowcount
    return counts


# A first national load (millions of rows into an empty directory) drops the secondary
# indexes of the three tables — search (trigram, name, place) and Django's FK and LIKE indexes
# alike, fifteen of them — and builds each once at the end from a sorted scan: maintaining them
# row by row was most of the upsert time. Unique indexes stay (the upserts need them). (The
# tables are then locked until the commit, which nobody notices on a first load; re-imports
# keep the indexes.) SEARCH_INDEXES names the ones search depends on, for the tests.
DIRECTORY_TABLES = (
    "directory_organisation",
    "directory_practitioner",
    "directory_practitionerrole",
    "directory_familyname",
)
SEARCH_INDEXES = (
    "directory_practitioner_key_trgm",
    "directory_org_key_trgm",
    "directory_practitioner_key_btree",
    "directory_familyname_trgm",
    "practitioner_family",
    "role_postcode_name",
    "role_town_name",
    "role_org_name",
)


def _drop_secondary_indexes(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(%s) AND NOT i.indisunique AND NOT i.indisprimary",
        [list(DIRECTORY_TABLES)],
    )
    indexes = cursor.fetchall()
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return indexes


# Tables whose foreign keys a first load drops and re-creates: two million activity rows
# queued two million row-by-row RI trigger checks (run at SET CONSTRAINTS ALL IMMEDIATE);
# re-adding a key NOT VALID and then VALIDATE checks it in one set-based pass.
FK_TABLES = ("directory_practitionerrole", "directory_practitioner")


def _drop_foreign_keys(cursor) -> list[tuple[str, str, str]]:
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text "
        "= ANY(%s)",
        [list(FK_TABLES)],
    )
    keys = cursor.fetchall()
    for table, name, _definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return keys


def _restore_foreign_keys(cursor, keys: list[tuple[str, str, str]]) -> None:
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID')
        cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"')


# keys.family_words in SQL: each folded family name, and each word of three letters or more
# of a compound one, as (word, key) pairs, from a table or subquery with a ``{column}``.
FAMILY_WORDS_SQL = (
    "SELECT {column} AS word, {column} AS key FROM {source} WHERE {column} <> '' "
    "UNION SELECT w, {column} FROM {source}, unnest(string_to_array({column}, ' ')) w "
    "WHERE position(' ' in {column}) > 0 AND length(w) >= 3"
)


def _sync_family_names(cursor, vendor: str, first_load: bool) -> None:
    """The typo-tolerant search's list of family names (FamilyName). A first load rebuilds it
    from the practitioners with its unique constraint set aside (built once at the end: 8.6 s
    instead of 13 s of ON CONFLICT probes for 1.5 M pairs); a re-import adds the file's new
    names and removes those nobody bears any more."""
    if vendor != "postgresql":
        cursor.execute("SELECT DISTINCT f_key FROM annuaire_stage WHERE f_key <> ''")
        pairs = [(w, k) for (k,) in cursor.fetchall() for w in family_words(k)]
        cursor.executemany(
            "INSERT INTO directory_familyname (word, key) VALUES (%s, %s) "
            "ON CONFLICT (word, key) DO NOTHING",
            pairs,
        )
    elif first_load:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'directory_familyname'::regclass AND contype = 'u'"
        )
        constraints = cursor.fetchall()
        cursor.execute("TRUNCATE directory_familyname")
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE directory_familyname DROP CONSTRAINT "{name}"')
        cursor.execute(
            "INSERT INTO directory_familyname (word, key) "
            + FAMILY_WORDS_SQL.format(column="family_key", source="directory_practitioner")
        )
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE directory_familyname ADD CONSTRAINT "{name}" {definition}')
        return
    else:
        cursor.execute(
            "INSERT INTO directory_familyname (word, key) SELECT word, key FROM ("
            + FAMILY_WORDS_SQL.format(column="f_key", source="annuaire_stage")
            + ") names ON CONFLICT (word, key) DO NOTHING"
        )
    cursor.execute(
        "DELETE FROM directory_familyname WHERE NOT EXISTS (SELECT 1 FROM "
        "directory_practitioner p WHERE p.family_key = directory_familyname.key)"
    )


def _is_first_load(cursor, staged: int) -> bool:
    cursor.execute("SELECT COUNT(*) FROM directory_practitioner WHERE source = 'annuaire'")
    return staged > 100_000 and cursor.fetchone()[0] * 4 < staged


def _adopt_local_practitioners(cursor) -> None:
    """A practitioner entered here with an RPPS the file holds gets its national id, so the
    import updates that entry instead of creating a duplicate."""
    cursor.execute(
        "UPDATE directory_practitioner SET national_id = '8' || rpps "
        "WHERE national_id IS NULL AND rpps <> '' "
        "AND ('8' || rpps) IN (SELECT national_id FROM annuaire_stage) "
        "AND NOT EXISTS (SELECT 1 FROM directory_practitioner q "
        "WHERE q.national_id = '8' || directory_practitioner.rpps)"
    )


# --- the whole import ------------------------------------------------------------------------


def import_annuaire(
    path: Path | str,
    *,
    encoding: str | None = None,
    progress: Callable[[int], None] | None = None,
    log: Callable[[str], None] = lambda msg: None,
) -> ImportResult:
    """Import one extract; the run is recorded in ``ImportRun`` whatever happens."""
    path = Path(path)
    run = ImportRun.objects.create(file_name=str(path), file_size=path.stat().st_size)
    result = ImportResult(run=run)
    try:
        run.encoding = encoding or detect_encoding(path)
        log(f"Encodage : {run.encoding}")
        _run(path, run.encoding, result, progress, log)
    except Exception as exc:
        run.status = ImportRun.Status.FAILED
        run.message = str(exc)[:2000]
        raise
    else:
        run.status = ImportRun.Status.DONE
        # The search form's specialty list (selectors.specialty_choices) may have changed.

        cache.delete("directory:specialties")
    finally:
        run.finished_at = timezone.now()
        run.rows_read = result.rows_read
        run.rows_rejected = result.rows_rejected
        run.errors = result.errors
        for entity in ("practitioners", "organisations", "roles"):
            c = getattr(result, entity)
            setattr(run, f"{entity}_added", c.added)
            setattr(run, f"{entity}_changed", c.changed)
            setattr(run, f"{entity}_gone", c.gone)
        run.save()
    return result


def _run(path: Path, encoding: str, result: ImportResult, progress, log) -> None:
    vendor = connection.vendor

    def on_error(line_no: int, message: str) -> None:
        result.rows_rejected += 1
        if len(result.errors) < IMPORT_MAX_ERRORS_KEPT:
            result.errors.append({"line": line_no, "error": message})

    def counted(rows):
        for row in rows:
            result.rows_read += 1
            yield row

    rows = counted(read_rows(path, encoding, on_error=on_error, progress=progress))
    with action_scope("directory.annuaire.import"), connection.cursor() as cursor:
        if vendor == "postgresql":
            # Large sorts and hash joins of the merge stay in memory; nothing here needs to
            # wait for the WAL flush before the final commit.
            cursor.execute("SELECT set_config('work_mem', %s, true)", [settings.ANNUAIRE_WORK_MEM])
            cursor.execute("SET LOCAL synchronous_commit = off")
        t0 = time.monotonic()
        _create_stage(cursor, vendor)
        _load_stage(cursor, vendor, rows)
        result.rows_read += result.rows_rejected  # lines read = kept + rejected
        result.timings["load"] = time.monotonic() - t0
        log(
            f"Lignes lues : {result.rows_read}, rejetées : {result.rows_rejected} "
            f"({result.timings['load']:.1f} s)"
        )
        t0 = time.monotonic()
        if vendor == "postgresql":
            cursor.execute("ANALYZE annuaire_stage")
        else:
            for col in ("national_id", "structure_id", "role_key", "line_no"):
                cursor.execute(f"CREATE INDEX temp.annuaire_stage_{col} ON annuaire_stage ({col})")
        result.timings["index"] = time.monotonic() - t0
        first_load = vendor == "postgresql" and _is_first_load(cursor, result.rows_read)
        foreign_keys, indexes = [], []
        if first_load:
            log("Premier chargement : index reconstruits à la fin")
            # (Checks an enclosing transaction left pending would forbid the ALTER TABLEs.)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            foreign_keys = _drop_foreign_keys(cursor)
            indexes = _drop_secondary_indexes(cursor)
        for name, target, attr in (
            ("structures", ORGANISATIONS, "organisations"),
            ("professionnels", PRACTITIONERS, "practitioners"),
            ("activités", ROLES, "roles"),
        ):
            t0 = time.monotonic()
            if target is PRACTITIONERS:
                _adopt_local_practitioners(cursor)
            counts = _merge(cursor, target, vendor, first_load)
            if target is PRACTITIONERS:
                _sync_family_names(cursor, vendor, first_load)
            setattr(result, attr, counts)
            result.timings[attr] = time.monotonic() - t0
            log(
                f"{name.capitalize()} : {counts.added} ajouté(e)s, {counts.changed} "
                f"modifié(e)s, {counts.gone} disparu(e)s "
                f"({result.timings[attr]:.1f} s)"
            )
        if first_load:
            t0 = time.monotonic()
            # Run any queued foreign-key checks now: PostgreSQL refuses CREATE INDEX on a
            # table with pending trigger events.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            _restore_foreign_keys(cursor, foreign_keys)
            result.timings["foreign_keys"] = time.monotonic() - t0
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            result.timings["search_indexes"] = time.monotonic() - t0
            log(f"Index et clés étrangères : {result.timings['search_indexes']:.1f} s")
        if vendor != "postgresql":
            cursor.execute("DROP TABLE temp.annuaire_stage")

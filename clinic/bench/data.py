"""The bench data set's vocabulary: names, table columns, a bulk row writer."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime


def _words(text: str) -> list[str]:
    return text.split()


GIVEN = _words(
    """
    Amélie Anna Sofia Zoë Chloé Léa Mia Emma Olivia Isla Ava Grace Lucía Inès
    Hannah Marta Ingrid Freya Niamh Aoife Saoirse Björk Małgorzata Zuzana Dóra
    Σοφία Ελένη Μαρία Αθηνά Ирина Анна Ольга Наталья Mai Linh Hương Thảo Yến
    James Oliver Noah Lucas Mateo Jonas Élodie Margaux Sinéad Dana
    """
)
# Common surnames, then a long tail: a clinic's clients share a few family
# names and have thousands of others, so a typed fragment finds a few people.
COMMON = _words(
    """
    Smith Jones Taylor Brown Williams Wilson Evans Thomas Roberts Walker Martin
    Bernard Dubois Lefèvre Müller Schmidt Schäfer García Fernández López
    Martínez Rossi Russo Bianchi Novák Dvořák Kowalski Wiśniewski Nowak Jensen
    Hansen Papadopoulos Γεωργίου Иванова Смирнова Кузнецова Nguyễn Trần Lê
    Phạm Hoàng Huỳnh Đặng O'Brien Murphy Kelly Byrne Öztürk
    """
)
# 15,600 made-up surnames: four or five clients each among 100,000.
RARE = [
    head + middle + link + tail
    for head in _words("Ab Bel Car Dal Esp Fal Gar Hol Ing Jas Kal Lom Mar Nor Ost")
    for middle in _words("an er in or ul ev ar ic")
    for link in ["", *_words("d l m n r s t v z")]
    for tail in _words("berg dottir ez ini ova sen ton wood ski escu ides oglu ley")
]


def family_name(rng: random.Random) -> str:
    return rng.choice(COMMON) if rng.random() < 0.3 else rng.choice(RARE)


COLUMNS = {
    "client": _words(
        """id given_name family_name date_of_birth phone email address
        emergency_contact_name emergency_contact_phone notes name_key
        phone_digits search_text created_at updated_at archive_reason"""
    ),
    "intake": _words(
        """id client_id rule_set_id submitted_at screened_on entered_via
        treatment_consent_id data_consent_id signature_name signature_agreed
        outcome excluded_zones needs_clearance not_eligible findings_json"""
    ),
    "intake_answer": _words("intake_id position rule_code question yes zones details"),
    "series": _words(
        """id client_id protocol_id service_id sessions_total min_gap_days
        preferred_gap_days max_gap_days status created_by_id created_at"""
    ),
    "appointment": _words(
        """id client_id service_id esthetician_id room_id device_id starts_at
        ends_at blocked_until series_id session_number status cancel_reason
        late_cancel created_by_id created_at checked_in_at completed_at
        cancelled_at"""
    ),
    "allocation": _words(
        "appointment_id resource_kind resource_id starts_at ends_at active"
    ),
    "visit": _words(
        """id appointment_id client_id esthetician_id started_at started_by_id
        rescreen rescreened_at intake_id excluded_zones device_id
        conductive_product skin_before general_notes products_after
        client_feedback adverse_kinds adverse_details aftercare_note status
        signed_at signed_by_id"""
    ),
    "zone_note": _words(
        """visit_id zone current_ua frequency_hz waveform polarity applicator
        duration_seconds holds sensation observation adverse override_reason"""
    ),
}


class Writer:
    """Buffers rows per table; ``flush`` inserts them in one transaction.

    Values are bound the way the app's column types store them, without the
    per-value Python type processing (too slow for millions of rows): SQLite
    keeps datetimes as "YYYY-MM-DD HH:MM:SS.ffffff" UTC text and booleans as
    integers; psycopg takes aware datetimes and booleans as they are.
    """

    def __init__(self, engine):
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        self.rows: dict[str, list[tuple]] = defaultdict(list)
        self.count: dict[str, int] = defaultdict(int)

    def ts(self, value: datetime):
        if self.sqlite:
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def day(self, value: date):
        return value.isoformat() if self.sqlite else value

    def flag(self, value: bool):
        return int(value) if self.sqlite else value

    def add(self, table: str, row: tuple) -> None:
        """Queue a row of ``table``, its values in the order of ``COLUMNS``."""
        self.rows[table].append(row)

    def flush(self) -> None:
        with self.engine.begin() as conn:
            for table, columns in COLUMNS.items():  # parents before children
                rows = self.rows.pop(table, None)
                if not rows:
                    continue
                names = ", ".join(columns)
                marks = ", ".join([self.mark] * len(columns))
                # Table and column names are the constants above.
                sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608
                conn.exec_driver_sql(sql, rows)  # executemany (psycopg: pipelined)
                self.count[table] += len(rows)

"""clients, intakes, screening rules and consent texts

Revision ID: 3454d1529203
Revises: db18d719ce95
Create Date: 2026-11-26 07:25:05.822962

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3454d1529203'
down_revision = 'db18d719ce95'
branch_labels = None
depends_on = None


# The screening catalogue of DOMAIN.md as rules version 1, and the first
# consent texts. Frozen here: later changes are new versions made by admins.
SEED_RULES = [
    # code, class, label, question, waiting days, needs clearance, zones
    ("implanted_device", "absolute", "Implanted electronic device",
     "Do you have an implanted electronic device (pacemaker, defibrillator, "
     "neurostimulator, cochlear implant)?", None, False, ""),
    ("epilepsy", "absolute", "Epilepsy or seizures",
     "Do you have epilepsy or have you ever had seizures?", None, False, ""),
    ("pregnancy", "absolute", "Pregnancy",
     "Are you pregnant, or could you be pregnant?", None, False, ""),
    ("active_cancer", "absolute", "Active cancer or treatment",
     "Do you have active cancer, or are you having chemotherapy or "
     "radiotherapy?", None, False, ""),
    ("heart_condition", "relative", "Heart condition",
     "Do you have a heart condition, or have you had heart surgery in the last "
     "year?", None, True, ""),
    ("diabetes", "relative", "Diabetes",
     "Do you have diabetes (in particular insulin-dependent)?", None, True, ""),
    ("thrombosis", "relative", "Thrombosis or phlebitis",
     "Have you had thrombosis or phlebitis?", None, True, ""),
    ("blood_pressure", "relative", "Uncontrolled blood pressure",
     "Do you have uncontrolled high or low blood pressure?", None, True, ""),
    ("thyroid", "relative", "Thyroid disorder",
     "Do you have a thyroid disorder?", None, True, ""),
    ("body_worn_device", "relative", "Body-worn electronic device",
     "Do you wear an electronic medical device (insulin pump, glucose "
     "monitor)?", None, True, ""),
    ("facial_nerve", "relative", "Facial nerve or muscle disorder",
     "Do you have a facial nerve disorder (such as Bell's palsy) or a muscular "
     "dystrophy?", None, True, ""),
    ("metal_in_face", "relative", "Metal in the face",
     "Do you have metal plates, screws or implants in your face?", None, True, ""),
    ("cancer_remission", "relative", "Cancer in remission",
     "Have you had cancer that is now in remission?", None, True, ""),
    ("botulinum_toxin", "temporary", "Botulinum toxin",
     "Have you had botulinum toxin (Botox) injections recently?", 14, False, ""),
    ("dermal_filler", "temporary", "Dermal filler",
     "Have you had dermal filler injections recently?", 14, False, ""),
    ("skin_procedure", "temporary", "Laser, peel or microneedling",
     "Have you recently had laser, a chemical peel, microneedling or another "
     "invasive skin procedure?", 10, False, ""),
    ("facial_surgery", "temporary", "Facial surgery",
     "Have you had facial surgery?", 90, True, ""),
    ("isotretinoin", "temporary", "Isotretinoin course",
     "Have you taken isotretinoin (Roaccutane, Accutane)? Give the date the "
     "course finished.", 180, False, ""),
    ("retinoid", "temporary", "Prescription retinoid",
     "Do you use a prescription retinoid (such as tretinoin) on your face? Give "
     "the date you last used it.", 7, False, ""),
    ("skin_infection", "local", "Skin infection",
     "Do you have an active skin infection on your face or neck?", None, False, ""),
    ("cold_sore", "local", "Cold sore",
     "Do you have a cold sore at the moment?", None, False, "perioral"),
    ("open_wound", "local", "Open wound",
     "Do you have an open wound or broken skin on your face or neck?",
     None, False, ""),
    ("rash", "local", "Rash", "Do you have a rash on your face or neck?",
     None, False, ""),
    ("bruising", "local", "Fresh bruising",
     "Do you have fresh bruising on your face or neck?", None, False, ""),
    ("sunburn", "local", "Sunburn", "Do you have sunburn on your face or neck?",
     None, False, ""),
    ("filler_area", "local", "Recent filler in one area",
     "Is there an area with recent filler that should be avoided today?",
     None, False, ""),
]
SEED_FINGERPRINT = "11f5f2fd66377a3914e41c8473095a41772f99f86e37ca7c6230c9f9d8bd3f77"

SEED_CONSENTS = [
    ("treatment", "Consent to microcurrent treatment",
     "I consent to microcurrent facial treatment by the clinic's estheticians. "
     "I understand that microcurrent applies a very low electrical current to "
     "the skin through probes or gloves with a conductive gel, that results "
     "vary and fade without maintenance, and that I may feel tingling or a "
     "metallic taste, which I will report at once. I have answered the health "
     "questions truthfully and will tell the clinic before every session if "
     "anything has changed. I may stop a treatment at any time."),
    ("data_processing", "Consent to the processing of my health data",
     "I consent to the clinic storing my answers to this health questionnaire, "
     "my treatment notes and my signature, to decide whether treatment is safe "
     "and to record what was done. Only the clinic's estheticians and owner "
     "read my health answers; reception staff see only whether I can be "
     "booked. Every access is logged. I may ask for a copy of my record."),
    ("photo", "Consent to photographs",
     "I agree that the clinic may take photographs of my face before and "
     "after treatment to follow my progress. They stay in my record and are "
     "never published without my separate written permission."),
]


def seed_data():
    now = datetime.now(timezone.utc)
    bind = op.get_bind()
    rule_set = sa.table(
        "screening_rule_set",
        sa.column("id", sa.Integer), sa.column("version", sa.Integer),
        sa.column("minimum_age", sa.Integer), sa.column("note", sa.String),
        sa.column("fingerprint", sa.String),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rule = sa.table(
        "screening_rule",
        sa.column("rule_set_id", sa.Integer), sa.column("code", sa.String),
        sa.column("position", sa.Integer), sa.column("label", sa.String),
        sa.column("question", sa.String), sa.column("help_text", sa.String),
        sa.column("rule_class", sa.String), sa.column("waiting_days", sa.Integer),
        sa.column("requires_clearance", sa.Boolean), sa.column("zones", sa.String),
        sa.column("active", sa.Boolean),
    )
    consent = sa.table(
        "consent_document",
        sa.column("kind", sa.String), sa.column("version", sa.Integer),
        sa.column("title", sa.String), sa.column("body", sa.Text),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    stamp = now if bind.dialect.name != "sqlite" else now.replace(tzinfo=None)
    bind.execute(
        rule_set.insert().values(
            id=1, version=1, minimum_age=18, fingerprint=SEED_FINGERPRINT,
            note="Defaults from the clinical notes (DOMAIN.md)", created_at=stamp,
        )
    )
    op.bulk_insert(rule, [
        {"rule_set_id": 1, "code": code, "position": position, "label": label,
         "question": question, "help_text": "", "rule_class": rule_class,
         "waiting_days": days, "requires_clearance": clearance, "zones": zones,
         "active": True}
        for position, (code, rule_class, label, question, days, clearance, zones)
        in enumerate(SEED_RULES, start=1)
    ])
    op.bulk_insert(consent, [
        {"kind": kind, "version": 1, "title": title, "body": body,
         "created_at": stamp}
        for kind, title, body in SEED_CONSENTS
    ])
    if bind.dialect.name == "postgresql":
        # Explicit ids were inserted: move the sequence past them.
        op.execute(
            "SELECT setval(pg_get_serial_sequence('screening_rule_set', 'id'), "
            "(SELECT max(id) FROM screening_rule_set))"
        )


def upgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('given_name', sa.String(length=100), nullable=False),
    sa.Column('family_name', sa.String(length=100), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('emergency_contact_name', sa.String(length=200), nullable=False),
    sa.Column('emergency_contact_phone', sa.String(length=40), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('name_key', sa.String(length=201), nullable=False),
    sa.Column('phone_digits', sa.String(length=40), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_by_id', sa.Integer(), nullable=True),
    sa.Column('archive_reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint('length(given_name) > 0', name=op.f('ck_client_given_name_not_empty')),
    sa.ForeignKeyConstraint(['archived_by_id'], ['user.id'], name=op.f('fk_client_archived_by_id_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_client_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client'))
    )
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.create_index('ix_client_email', ['email'], unique=False)
        batch_op.create_index('ix_client_name_dob', ['name_key', 'date_of_birth'], unique=False)
        batch_op.create_index('ix_client_phone_digits', ['phone_digits'], unique=False)

    op.create_table('consent_document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('treatment', 'data_processing', 'photo', name='consent_kind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_consent_document_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_document')),
    sa.UniqueConstraint('kind', 'version', name=op.f('uq_consent_document_kind_version'))
    )
    op.create_table('screening_rule_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('minimum_age', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('minimum_age >= 0', name=op.f('ck_screening_rule_set_minimum_age_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_screening_rule_set_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_rule_set')),
    sa.UniqueConstraint('version', name=op.f('uq_screening_rule_set_version'))
    )
    op.create_table('intake',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('screened_on', sa.Date(), nullable=False),
    sa.Column('entered_via', sa.Enum('staff', 'tablet', name='entered_via', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('treatment_consent_id', sa.Integer(), nullable=False),
    sa.Column('data_consent_id', sa.Integer(), nullable=False),
    sa.Column('photo_consent_id', sa.Integer(), nullable=True),
    sa.Column('signature_name', sa.String(length=200), nullable=False),
    sa.Column('signature_agreed', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.Enum('clear', 'deferred', 'needs_clearance', 'not_eligible', name='outcome', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('eligible_from', sa.Date(), nullable=True),
    sa.Column('excluded_zones', sa.String(length=300), nullable=False),
    sa.Column('needs_clearance', sa.Boolean(), nullable=False),
    sa.Column('not_eligible', sa.Boolean(), nullable=False),
    sa.Column('findings_json', sa.Text(), nullable=False),
    sa.CheckConstraint('length(signature_name) > 0', name=op.f('ck_intake_signature_name_not_empty')),
    sa.CheckConstraint('signature_agreed', name=op.f('ck_intake_signature_agreed')),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_intake_client_id_client')),
    sa.ForeignKeyConstraint(['data_consent_id'], ['consent_document.id'], name=op.f('fk_intake_data_consent_id_consent_document')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_intake_entered_by_id_user')),
    sa.ForeignKeyConstraint(['photo_consent_id'], ['consent_document.id'], name=op.f('fk_intake_photo_consent_id_consent_document')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['screening_rule_set.id'], name=op.f('fk_intake_rule_set_id_screening_rule_set')),
    sa.ForeignKeyConstraint(['treatment_consent_id'], ['consent_document.id'], name=op.f('fk_intake_treatment_consent_id_consent_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake'))
    )
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.create_index('ix_intake_client_submitted', ['client_id', 'submitted_at'], unique=False)

    op.create_table('screening_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_set_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=100), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('help_text', sa.String(length=500), nullable=False),
    sa.Column('rule_class', sa.Enum('absolute', 'relative', 'temporary', 'local', name='rule_class', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('waiting_days', sa.Integer(), nullable=True),
    sa.Column('requires_clearance', sa.Boolean(), nullable=False),
    sa.Column('zones', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("(rule_class = 'temporary' AND waiting_days IS NOT NULL AND waiting_days >= 0) OR (rule_class <> 'temporary' AND waiting_days IS NULL)", name=op.f('ck_screening_rule_waiting_days_for_temporary')),
    sa.ForeignKeyConstraint(['rule_set_id'], ['screening_rule_set.id'], name=op.f('fk_screening_rule_rule_set_id_screening_rule_set')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_rule')),
    sa.UniqueConstraint('rule_set_id', 'code', name=op.f('uq_screening_rule_rule_set_id_code'))
    )
    op.create_table('clearance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('cleared_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('physician_note_ref', sa.String(length=200), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_clearance_reason_not_empty')),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['user.id'], name=op.f('fk_clearance_cleared_by_id_user')),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_clearance_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearance')),
    sa.UniqueConstraint('intake_id', name=op.f('uq_clearance_intake_id'))
    )
    op.create_table('intake_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intake_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rule_code', sa.String(length=60), nullable=False),
    sa.Column('question', sa.String(length=300), nullable=False),
    sa.Column('yes', sa.Boolean(), nullable=False),
    sa.Column('event_date', sa.Date(), nullable=True),
    sa.Column('zones', sa.String(length=300), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_answer_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_answer')),
    sa.UniqueConstraint('intake_id', 'rule_code', name=op.f('uq_intake_answer_intake_id_rule_code'))
    )
    op.create_table('intake_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('intake_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['client.id'], name=op.f('fk_intake_link_client_id_client')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_intake_link_created_by_id_user')),
    sa.ForeignKeyConstraint(['intake_id'], ['intake.id'], name=op.f('fk_intake_link_intake_id_intake')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_link')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_intake_link_token_hash'))
    )
    with op.batch_alter_table('intake_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_link_client_id'), ['client_id'], unique=False)

    # ### end Alembic commands ###
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_client_search_trgm ON client "
            "USING gin (search_text gin_trgm_ops)"
        )
    seed_data()


def downgrade():
    # ### commands auto generated by Alembic - please adjust! ###
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_client_search_trgm")
    with op.batch_alter_table('intake_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_link_client_id'))

    op.drop_table('intake_link')
    op.drop_table('intake_answer')
    op.drop_table('clearance')
    op.drop_table('screening_rule')
    with op.batch_alter_table('intake', schema=None) as batch_op:
        batch_op.drop_index('ix_intake_client_submitted')

    op.drop_table('intake')
    op.drop_table('screening_rule_set')
    op.drop_table('consent_document')
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_index('ix_client_phone_digits')
        batch_op.drop_index('ix_client_name_dob')
        batch_op.drop_index('ix_client_email')

    op.drop_table('client')
    # ### end Alembic commands ###

"""``flask --app clinic export-client``: JSON to stdout or a file, PDF to a
file, audited as the command line (no user)."""

from __future__ import annotations

import json

import pytest

from tests.aftercare.support import CLINIC_SETTINGS, pdf_text
from tests.privacy.support import FULL_NAME, arrange_record, audit_actions, frozen_clock

pytestmark = pytest.mark.app_config(**CLINIC_SETTINGS)


@pytest.fixture
def record(app):
    with frozen_clock():
        return arrange_record(app)


def test_json_to_stdout_is_audited_as_the_command_line(app, runner, record):
    result = runner.invoke(args=["export-client", str(record.client_id)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["client"]["full_name"] == FULL_NAME
    assert data["generated_by"]["id"] is None
    assert data["access_log"][-1]["action"] == "client.exported"
    assert data["access_log"][-1]["by"] is None
    exported = [
        a for a in audit_actions(app, record.client_id) if a[0] == "client.exported"
    ]
    assert exported == [("client.exported", None, "format=json; via=cli")]


def test_pdf_and_json_to_a_file(app, runner, record, tmp_path):
    target = tmp_path / "record.pdf"
    result = runner.invoke(
        args=[
            "export-client",
            str(record.client_id),
            "--format",
            "pdf",
            "--output",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    assert FULL_NAME in pdf_text(target.read_bytes())
    as_json = tmp_path / "record.json"
    result = runner.invoke(
        args=["export-client", str(record.client_id), "--output", str(as_json)]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(as_json.read_text("utf-8"))["client"]["id"] == record.client_id
    details = [
        d for a, _u, d in audit_actions(app, record.client_id) if a == "client.exported"
    ]
    assert details == ["format=pdf; via=cli", "format=json; via=cli"]


def test_unknown_client_and_pdf_without_a_file_are_refused(app, runner, record):
    unknown = runner.invoke(args=["export-client", "99999"])
    assert unknown.exit_code != 0 and "no client with id 99999" in unknown.output
    pdf = runner.invoke(
        args=["export-client", str(record.client_id), "--format", "pdf"]
    )
    assert pdf.exit_code != 0 and "--output" in pdf.output
    assert not [
        a for a in audit_actions(app, record.client_id) if a[0] == "client.exported"
    ]

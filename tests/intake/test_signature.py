"""The typed signature must be the client's full name as registered (issue 15,
item 11): "S O'Reilly" used to sign for Siobhán O'Reilly, on the tablet and on
the staff page alike. Case, accents, extra spaces and the kind of apostrophe
do not matter."""

from __future__ import annotations

import pytest

from tests.helpers import submit
from tests.intake.support import (
    create_link,
    field_error,
    frozen_clock,
    intake_count,
    intake_id_from,
    link_from,
    links_of,
    load_intake,
    make_client,
    questionnaire,
    submit_staff_intake,
)

REFUSED = "Type your full name as registered: Siobhán O'Reilly."
NOT_THE_NAME = ["S O'Reilly", "Siobhán", "O'Reilly", "Ana Example"]
THE_NAME = [
    "Siobhán O'Reilly",
    "siobhan o\u2019reilly",  # no accent, a tablet's typographic apostrophe
    "  SIOBHÁN    O'REILLY ",
]


@pytest.fixture(autouse=True)
def _clock():
    with frozen_clock():
        yield


@pytest.fixture
def siobhan(app) -> int:
    return make_client(app, given_name="Siobhán", family_name="O'Reilly")


def tablet_link(app, browser, client_id: int) -> tuple:
    """A fresh tablet browser (no staff session) and the link's path."""
    return app.test_client(), link_from(create_link(browser, client_id))


# --- the staff page ---------------------------------------------------------------


@pytest.mark.parametrize("typed", NOT_THE_NAME)
def test_staff_intake_refuses_a_signature_that_is_not_the_full_name(
    app, client, esthetician, siobhan, typed
):
    response = submit_staff_intake(
        client, siobhan, questionnaire(app, signature_name=typed)
    )

    assert response.status_code == 422
    assert field_error(response, "signature_name") == REFUSED
    assert intake_count(app, siobhan) == 0


@pytest.mark.parametrize("typed", THE_NAME)
def test_staff_intake_accepts_the_full_name_however_it_is_typed(
    app, client, esthetician, siobhan, typed
):
    response = submit_staff_intake(
        client, siobhan, questionnaire(app, signature_name=typed)
    )

    intake = load_intake(app, intake_id_from(response))
    assert intake.client_id == siobhan
    assert intake.signature_name == " ".join(typed.split())  # as typed


# --- the tablet ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", NOT_THE_NAME)
def test_the_tablet_refuses_a_signature_that_is_not_the_full_name(
    app, client, front_desk, siobhan, typed
):
    tablet, path = tablet_link(app, client, siobhan)

    response = submit(tablet, path, questionnaire(app, signature_name=typed))

    assert response.status_code == 422
    assert field_error(response, "signature_name") == REFUSED
    assert intake_count(app, siobhan) == 0
    assert links_of(app, siobhan)[0].used_at is None  # still usable


@pytest.mark.parametrize("typed", THE_NAME)
def test_the_tablet_accepts_the_full_name_however_it_is_typed(
    app, client, front_desk, siobhan, typed
):
    tablet, path = tablet_link(app, client, siobhan)

    response = submit(tablet, path, questionnaire(app, signature_name=typed))

    assert response.status_code == 302
    assert response.headers["Location"] == "/tablet/thank-you"
    assert intake_count(app, siobhan) == 1

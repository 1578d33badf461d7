"""Client pages: search, register, profile, edit, archive."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from clinic import audit
from clinic.access import CLINICAL, allowed
from clinic.clients import services
from clinic.clients.forms import ArchiveClientForm, ClientForm, ClientSearchForm
from clinic.clients.services import get_client_or_404
from clinic.extensions import db
from clinic.intake.eligibility import client_eligibility
from clinic.intake.services import intake_history
from clinic.privacy.forms import ExportForm
from clinic.scheduling import series_services
from clinic.scheduling import services as scheduling
from clinic.visits import services as visit_services
from clinic.visits.chart import render_trend
from clinic.zones import ZONE_CODES, zone_by_code


def client_list():
    form = ClientSearchForm(request.args)
    query = (form.q.data or "") if form.validate() else ""
    # Only those who may archive may search the archive (the box is theirs).
    include_archived = request.args.get("archived") == "1" and allowed(
        "clients.client_archive", current_user.role
    )
    found = (
        services.search_clients(query, include_archived=include_archived)
        if query
        else None
    )
    return render_template(
        "clients/list.html",
        form=form,
        query=query,
        clients=found.clients if found is not None else services.recent_clients(),
        found=found,
        include_archived=include_archived,
        cap=services.SEARCH_CAP,
    ), (200 if not form.errors else 422)


def _duplicates_for(form: ClientForm, exclude_id: int | None = None):
    return services.find_duplicates(
        given_name=form.given_name.data or "",
        family_name=form.family_name.data or "",
        date_of_birth=form.date_of_birth.data,
        email=form.email.data or "",
        phone=form.phone.data or "",
        exclude_id=exclude_id,
    )


def client_new():
    """Register a client; a likely duplicate must be confirmed first (409)."""
    form = ClientForm()
    duplicates = []
    if form.validate_on_submit():
        duplicates = _duplicates_for(form)
        if not duplicates or form.confirm_duplicate.data:
            client = services.create_client(
                form.contact_data(), by_user_id=current_user.id
            )
            db.session.commit()
            flash(f"{client.full_name} was registered.", "success")
            return redirect(url_for("clients.profile", client_id=client.id))
        status = 409
    else:
        status = 422 if form.is_submitted() else 200
    return render_template(
        "clients/form.html", form=form, client=None, duplicates=duplicates
    ), status


def _refuse_erased(client):
    """An erased client's record is closed: back to the profile, with why."""
    flash("This client was erased (anonymised); the record cannot change.", "danger")
    return redirect(url_for("clients.profile", client_id=client.id)), 303


def client_edit(client_id: int):
    """Edit contact details; an erased client is refused (redirect, 303)."""
    client = get_client_or_404(client_id)
    if client.erased:
        return _refuse_erased(client)
    form = ClientForm(obj=client)
    duplicates = []
    if form.validate_on_submit():
        duplicates = _duplicates_for(form, exclude_id=client.id)
        if not duplicates or form.confirm_duplicate.data:
            services.update_client(client, form.contact_data())
            db.session.commit()
            flash("The client's details were saved.", "success")
            return redirect(url_for("clients.profile", client_id=client.id))
        status = 409
    else:
        status = 422 if form.is_submitted() else 200
    return render_template(
        "clients/form.html", form=form, client=client, duplicates=duplicates
    ), status


def _series_overview(client_id: int) -> list[dict]:
    """Each series with its progress, and the zone trends for clinical staff."""
    clinical = current_user.role in CLINICAL
    overview = []
    all_series = series_services.client_series(client_id)
    all_trends = (
        visit_services.series_trends_of([s.id for s in all_series]) if clinical else {}
    )
    for series in all_series:
        trends = all_trends.get(series.id, {})
        overview.append(
            {
                "series": series,
                "progress": series_services.progress(series),
                "charts": [
                    (
                        code,
                        render_trend(
                            points,
                            title=f"{zone_by_code(code).label}",
                            id_prefix=f"s{series.id}-{code}",
                        ),
                    )
                    for code, points in sorted(
                        trends.items(), key=lambda item: ZONE_CODES.index(item[0])
                    )
                ],
            }
        )
    return overview


def _profile_page(client, archive_form: ArchiveClientForm, status: int = 200):
    """The profile shows the screening outcome, so every view is audited."""
    audit.record(
        "client.viewed", entity_type="client", entity_id=client.id, client_id=client.id
    )
    db.session.commit()
    return render_template(
        "clients/profile.html",
        client=client,
        eligibility=client_eligibility(client.id),
        intakes=intake_history(client.id),
        upcoming=scheduling.client_upcoming(client.id),
        series_list=_series_overview(client.id),
        visits=visit_services.client_visits(client.id),
        archive_form=archive_form,
        export_form=ExportForm(),
    ), status


def profile(client_id: int):
    """Contact details, screening badge, intake history; 404 if unknown."""
    return _profile_page(get_client_or_404(client_id), ArchiveClientForm())


def client_archive(client_id: int):
    client = get_client_or_404(client_id)
    if client.erased:
        return _refuse_erased(client)
    form = ArchiveClientForm()
    if not form.validate_on_submit():
        return _profile_page(client, form, 422)
    services.archive_client(client, by_user_id=current_user.id, reason=form.reason.data)
    db.session.commit()
    flash(f"{client.full_name} was archived. The record is kept.", "success")
    return redirect(url_for("clients.profile", client_id=client.id))


def client_restore(client_id: int):
    client = get_client_or_404(client_id)
    if client.erased:
        return _refuse_erased(client)
    services.restore_client(client)
    db.session.commit()
    flash(f"{client.full_name} is active again.", "success")
    return redirect(url_for("clients.profile", client_id=client.id))

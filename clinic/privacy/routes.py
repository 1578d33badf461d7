"""Privacy: every URL rule of the module, with who may use it."""

from flask import Blueprint

from clinic.access import ADMIN, route
from clinic.privacy import views

bp = Blueprint("privacy", __name__, url_prefix="/clients")

route(
    bp,
    "/<int:client_id>/export",
    views.export_client,
    allow=ADMIN,
    methods=("POST",),
    health_data=True,
)
route(
    bp,
    "/<int:client_id>/erase",
    views.erase_client,
    allow=ADMIN,
    methods=("GET", "POST"),
)

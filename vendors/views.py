import mimetypes

from django.contrib.auth.decorators import login_required, permission_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from .models import ProviderCertification


@require_GET
@login_required
@permission_required("vendors.view_providercertification", raise_exception=True)
def certification_evidence(request, name: str):
    """Serve an evidence file only to signed-in users allowed to see certifications.

    The name must belong to a stored certification, so no other path on disk is reachable.
    """
    certification = get_object_or_404(ProviderCertification, evidence=name)
    try:
        handle = certification.evidence.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The evidence file is missing from storage.") from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=content_type == "application/pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

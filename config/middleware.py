"""Request guards that run before a view reads anything."""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render


class RequestSizeLimitMiddleware:
    """Refuse a request body over MAX_REQUEST_BYTES from its Content-Length, before a byte of it is
    read: a 300 MB "certificate" is turned away at once instead of after the upload."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        length = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else settings.MAX_REQUEST_BYTES + 1
        if length > settings.MAX_REQUEST_BYTES:
            context = {
                "size_mb": round(length / 1_048_576, 1),
                "limit_mb": round(settings.MAX_REQUEST_BYTES / 1_048_576, 1),
                "evidence_mb": settings.EVIDENCE_MAX_BYTES // 1_048_576,
            }
            return render(request, "413.html", context, status=413)
        return self.get_response(request)


class AnonymousNotFoundMiddleware:
    """An anonymous visitor is asked to sign in wherever they go, so a 404 never tells them which
    addresses exist (nor, in development, lists the URL patterns); signed-in users get the 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # A provider link's pages (/provider/) answer 404 themselves, alike for every wrong link.
        provider_page = request.path.startswith("/provider/")
        if response.status_code == 404 and not request.user.is_authenticated and not provider_page:
            if request.path.startswith("/api/"):  # an API client gets the API's answer, not a sign-in page
                from .api import bearer_token  # the API's modules load with the API, not with every request

                if bearer_token(request) is not None:
                    return response  # signed in with a token: the address does not exist
                return JsonResponse({"detail": "Authentication credentials were not provided."}, status=401)
            return redirect_to_login(request.get_full_path())
        return response

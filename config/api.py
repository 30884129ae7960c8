"""What every app's REST API shares: token authentication, the web's permissions, stable
pagination, a rate limit per token, and service refusals as 400s.

Each app keeps its serializers, views and routes in its own `api/` package; `config.api_urls`
gathers them under /api/ with the OpenAPI schema and its docs.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, parsers, permissions, throttling
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.pagination import CursorPagination

from .tokens import token_find

MAX_PAGE_SIZE = 500


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with a personal API token. A wrong, revoked or expired token
    is a 401 with no hint which."""

    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as 'Authorization: Bearer <token>'.")
        token = bearer_token(request)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        request.api_token = token
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


def bearer_token(request):
    """The usable token a request carries in `Authorization: Bearer <token>` (or `Token <token>`),
    else None; works on Django's request as on the API's."""
    header = get_authorization_header(request).split()
    if len(header) != 2 or header[0].lower() not in TokenAuthentication.keywords:
        return None
    try:
        return token_find(header[1].decode("ascii"))
    except UnicodeDecodeError:
        return None


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "config.api.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "A personal API token (Settings → API tokens)."}


class ModelPermissions(permissions.DjangoModelPermissions):
    """The web's rule: reading needs the model's view permission, writing its add/change permission."""

    perms_map = {
        **permissions.DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


class ActionPermission(ModelPermissions):
    """A lifecycle action (a POST) needs the change permission of the record it acts on."""

    perms_map = {**ModelPermissions.perms_map, "POST": ["%(app_label)s.change_%(model_name)s"]}


class StablePagination(CursorPagination):
    """Pages by a cursor over the primary key: every page costs the same, and rows added meanwhile
    never shift a row onto two pages."""

    ordering = "pk"
    page_size = 50

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            if not (position.isascii() and position.isdigit() and len(position) <= 19):
                raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class TokenRateThrottle(throttling.SimpleRateThrottle):
    """Requests per token (or per signed-in person, or per address when anonymous)."""

    scope = "api"

    def get_cache_key(self, request, view):
        token = getattr(request, "api_token", None)
        if token is not None:
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class JSONParser(parsers.JSONParser):
    """JSON nested deeper than Python's parser recurses is a malformed request, not a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


def form_errors(form) -> dict[str, list[str]]:
    """A Django form's errors as an API answers them: each field with its messages."""
    return {field: [error["message"] for error in found] for field, found in form.errors.get_json_data().items()}


def refusal(error: DjangoValidationError) -> exceptions.ValidationError:
    """A service's refusal as a 400 with its words."""
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError({field: list(messages) for field, messages in error.message_dict.items()})
    return exceptions.ValidationError({"detail": error.messages})

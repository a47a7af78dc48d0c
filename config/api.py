"""One django-ninja API for the Events API (/v2) and the Platform API (/platform/v1).

Both answer faults as {"errors": [{"path", "message"}]} with a 4xx status, never a 500 for
bad input; the OpenAPI schema of both is served at /platform/v1/openapi.json.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from accounts.api import ApiError
from audiences.audiences_api import router as audiences_router
from audiences.events_api import router as events_router
from audiences.experiments_api import router as experiments_router
from audiences.ingestion.wire import location
from audiences.platform_api import router as platform_router
from audiences.standard_api import router as standard_router
from connections.api import router as connections_router
from outputs.api import router as outputs_router

ERROR_ANSWERS = {
    "400": "Bad input; each error names the JSON path of the fault",
    "401": "Missing or wrong credentials",
    "403": "The credentials do not allow this",
    "404": "No such object in this account",
}


class OpenAudienceAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Every operation may answer the shared error body; say so once, here, for all of them."""
        schema = super().get_openapi_schema(*args, **kwargs)
        errors = {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["path", "message"],
                        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                    },
                }
            },
        }
        for methods in schema["paths"].values():
            for operation in methods.values():
                answers = operation.setdefault("responses", {})
                for status, description in ERROR_ANSWERS.items():
                    if status not in answers and int(status) not in answers:
                        answers[status] = {
                            "description": description,
                            "content": {"application/json": {"schema": errors}},
                        }
        return schema


api = OpenAudienceAPI(
    title="OpenAudience",
    version="1",
    description="The Events API (data in, wire-compatible with the mParticle server-to-server "
    "Events API v2) and the Platform API (management).",
    openapi_url="/platform/v1/openapi.json",
    docs_url="/platform/v1/docs",
    urls_namespace="api",
)
api.add_router("/v2", events_router)
api.add_router("/platform/v1", platform_router)
api.add_router("/platform/v1", audiences_router)
api.add_router("/platform/v1", outputs_router)
api.add_router("/platform/v1", connections_router)
api.add_router("/platform/v1", experiments_router)
api.add_router("/platform/v1", standard_router)


def errors(status: int, path: str, message: str, **headers: str) -> HttpResponse:
    response = api.create_response(HttpRequest(), {"errors": [{"path": path, "message": message}]}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    response = api.create_response(request, {"errors": exc.errors}, status=exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    return response


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"errors": [{"path": "Authorization", "message": "missing or wrong credentials"}]},
        status=401,
    )
    response["WWW-Authenticate"] = 'Basic realm="OpenAudience"' if request.path.startswith("/v2/") else "Bearer"
    return response


@api.exception_handler(AuthorizationError)
def forbidden(request: HttpRequest, exc: AuthorizationError) -> HttpResponse:
    return api.create_response(
        request,
        {"errors": [{"path": "Authorization", "message": str(exc) or "not allowed"}]},
        status=403,
    )


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    found = []
    for error in exc.errors:
        loc = tuple(error.get("loc", ()))
        # ninja prefixes the parameter source and name ("body", "payload"); drop them.
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[2:] if len(loc) > 1 and loc[0] == "body" else loc[1:]
        found.append({"path": location(loc) or "$", "message": error.get("msg", "invalid")})
    return api.create_response(request, {"errors": found}, status=400)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"errors": [{"path": "$", "message": str(exc)}]}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"errors": [{"path": "$", "message": str(exc) or "not found"}]}, status=404)

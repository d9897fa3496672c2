"""Request middleware: one audit context per request (user read late, id echoed in a header)."""

from __future__ import annotations

import uuid

from tongxin.core import audit
from tongxin.core.models import ObjectChange


class AuditContextMiddleware:
    """Wrap each request in an audit context so that every write it makes is attributed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = ObjectChange.Source.API if request.path.startswith(("/api/", "/open311/")) else ObjectChange.Source.WEB
        request.id = uuid.uuid4()
        with audit.audit_context(source=source, request_id=request.id, request=request):
            response = self.get_response(request)
        response["X-Request-ID"] = str(request.id)
        return response

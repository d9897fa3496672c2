"""Request middleware: one audit context per request (user read late, id echoed in a header), and the
Content-Security-Policy header."""

from __future__ import annotations

import uuid

from django.conf import settings

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


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy (``settings.CSP``) with every response that does not set its own.

    The pages load only the site's own, vendored scripts, styles and fonts, and have no inline script, inline
    ``style`` attribute or ``<style>`` block (behaviour lives in ``static/tongxin/tongxin.js`` and is wired by
    ``data-*`` attributes), so the policy allows ``'self'`` only: an injected ``<script>`` or ``onerror=`` never
    runs. ``settings.CSP_REPORT_ONLY`` sends it as ``Content-Security-Policy-Report-Only`` instead, to try a
    changed policy on a live site without breaking it. Django 5.2 has no built-in CSP; this is the whole of it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CSP.strip()
        header = "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        if policy and header not in response:
            response[header] = policy
        return response

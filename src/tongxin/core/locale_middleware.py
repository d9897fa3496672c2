"""Chinese first: the interface language is zh-Hans unless the user chose another one."""

from django.conf import settings


class ChineseFirstMiddleware:
    """Ignore the browser's Accept-Language so that the default stays zh-Hans; the language cookie
    (set by the language switcher) still selects English. Runs before LocaleMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
            request.META["HTTP_ACCEPT_LANGUAGE"] = settings.LANGUAGE_CODE
        return self.get_response(request)

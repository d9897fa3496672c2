"""The project's settings plus the throw-away module of the platform's acceptance test (tests/sample)."""

from tongxin.settings import *  # noqa: F403 - the test settings are the project's, plus one app

INSTALLED_APPS = [*INSTALLED_APPS, "tests.sample"]  # noqa: F405
ROOT_URLCONF = "tests.urls"

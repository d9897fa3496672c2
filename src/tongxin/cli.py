"""The ``tongxin`` console command: the project's ``manage.py``."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command with Tongxin's settings."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
    from django.core.management import execute_from_command_line

    argv = list(argv if argv is not None else sys.argv)
    if len(argv) > 1 and "-" in argv[1] and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")  # tongxin load-divisions == tongxin load_divisions
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

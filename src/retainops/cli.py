"""The `retainops` console script: Django's management commands under one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retainops.settings")
    from django.core.management import execute_from_command_line

    argv = ["retainops", *sys.argv[1:]]
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

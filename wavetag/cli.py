"""The ``wavetag`` command: wavetag's own commands and every Django management command.

``wavetag serve``, ``wavetag demo``, ``wavetag import PATH...``, ``wavetag token create USER``,
``wavetag worker``, ``wavetag analyze``, ``wavetag store-gc``, ``wavetag backup DIR``,
``wavetag restore DIR``, ``wavetag export PROJECT --out DIR`` (a release bundle),
``wavetag report RECORD --out FILE.pdf`` (a record's report), and
Django's ``migrate``,
``createsuperuser``, ``check``, ...
Hyphens in command names may be written as underscores and vice versa.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        from importlib.metadata import version

        print(f"wavetag {version('wavetag')}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wavetag.settings")
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    if args[:1] == ["restore"] and not os.environ.get("WAVETAG_SECRET_KEY"):
        # The settings would generate a key into the home being restored: a refused
        # restore would leave it changed, and the backup brings the site's own key.
        from wavetag.backups.manifest import RESTORING_KEY

        os.environ["WAVETAG_SECRET_KEY"] = RESTORING_KEY
    from django.conf import settings
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 (reads the settings: a bad variable is named)
    except ValueError as exc:
        # A malformed environment variable (DATABASE_URL, WAVETAG_BASE_URL...): one line.
        sys.exit(f"wavetag: {exc}")
    execute_from_command_line(["wavetag", *args])


if __name__ == "__main__":
    main()

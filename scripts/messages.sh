#!/usr/bin/env bash
# Bring the Chinese catalogues up to date with the sources, then compile them.
# Needs GNU gettext (xgettext, msgmerge, msgfmt: Debian's `gettext`). New strings appear
# untranslated in wavetag/locale/zh_Hans/LC_MESSAGES/{django,djangojs}.po; fill in their
# msgstr and run this again. tests/test_i18n.py fails while any is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ignore=(-i .venv -i tests -i bench -i scripts -i deploy -i build -i "*.egg-info")
python -m wavetag makemessages -l zh_Hans --no-location --no-obsolete -d django "${ignore[@]}"
python -m wavetag makemessages -l zh_Hans --no-location --no-obsolete -d djangojs "${ignore[@]}"
# The creation date would change the files on every run, and conflict on every merge.
sed -i "/^\"POT-Creation-Date:/d" wavetag/locale/zh_Hans/LC_MESSAGES/*.po
python -m wavetag compilemessages -l zh_Hans "${ignore[@]}"

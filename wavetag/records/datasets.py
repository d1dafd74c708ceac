"""A dataset's provenance and licence: set by a site admin (``wavetag dataset set``, the
admin site) or filled by ``wavetag import --physionet`` from what PhysioNet says."""

from __future__ import annotations

from wavetag.errors import InvalidInput, WavetagError, refuse_nul

from .models import Dataset

LICENCE_MAX = Dataset._meta.get_field("licence").max_length or 200
PROVENANCE_MAX = 2000


class DatasetNotFound(WavetagError):
    status = 404


def find_dataset(name: str) -> Dataset:
    dataset = Dataset.objects.filter(name=name).first()
    if dataset is None:
        raise DatasetNotFound(f"no dataset named {name!r}")
    return dataset


def _clean(field: str, value: str, limit: int) -> str:
    value = refuse_nul(field, value.strip())
    if len(value) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters")
    return value


def set_about(
    dataset: Dataset, *, provenance: str | None = None, licence: str | None = None
) -> Dataset:
    """Change what is given (``None``: keep it; ``""``: clear it)."""
    changed = []
    if provenance is not None:
        dataset.provenance = _clean("provenance", provenance, PROVENANCE_MAX)
        changed.append("provenance")
    if licence is not None:
        dataset.licence = _clean("licence", licence, LICENCE_MAX)
        changed.append("licence")
    if changed:
        dataset.save(update_fields=changed)
    return dataset


def fill_about(dataset: Dataset, *, provenance: str, licence: str) -> list[str]:
    """Fill the fields an import found that are still blank; a value a site admin set is
    kept. Returns one line per field found different and kept, for the import to print."""
    kept = []
    blank: dict[str, str] = {}
    for field, found in (("provenance", provenance), ("licence", licence)):
        current = getattr(dataset, field)
        if not found:
            continue
        if not current:
            blank[field] = found
        elif current != found:
            kept.append(f"{field}: kept {current!r} (the source says {found!r})")
    if blank:
        set_about(dataset, **blank)
    return kept

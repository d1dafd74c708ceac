"""Site-wide rules of access, which need no project: who sees everything, and ids.

Who may see which dataset, record or annotation set through their projects is decided
above, where memberships live: ``wavetag.projects.access`` (datasets, records, projects,
tasks) and ``wavetag.annotations.access`` (annotation sets, which task sets make visible).
Objects outside the user's reach are reported as missing (404), never as forbidden, so
that ids do not leak what exists.
"""

from __future__ import annotations

from typing import Any

# The largest id a database row can have; a larger one is simply not found (never a 500).
MAX_ID = 2**63 - 1


def can_see_everything(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff))


def may_manage_datasets(user: Any) -> bool:
    """Site admins, and users granted ``records.manage_datasets``: they make datasets,
    upload to any, and read every record (what they uploaded first of all); annotation
    sets and header comments they see as their projects (or a site admin's role) allow."""
    if not (user.is_authenticated and user.is_active):
        return False
    return can_see_everything(user) or bool(user.has_perm("records.manage_datasets"))


def may_see_comments(user: Any) -> bool:
    """Header comments can give away the answer; only site admins see them."""
    return can_see_everything(user)

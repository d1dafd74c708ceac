"""Invitations and accounts: invitation-only registration, and user creation for IT staff.

An invitation code is single-use even when two people send it at the same moment: it is
taken by a conditional UPDATE (``used_at IS NULL``) inside the registration's
transaction. On PostgreSQL the second UPDATE waits for the first transaction and then
matches no row; on SQLite transactions begin IMMEDIATE, so they run one after the other.
If anything after that fails (the user name is taken), the transaction rolls back and
the code stays usable.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wavetag.errors import InvalidInput
from wavetag.projects.models import Project, Role
from wavetag.projects.names import name as role_name
from wavetag.projects.services import add_member

from .models import Invitation

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: codes are read out over the phone and typed by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 20  # about 99 bits
MAX_DAYS = 365


class RegistrationError(InvalidInput):
    """Registration refused; the message names the field (code, username, email, password)."""


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_code(code: str) -> str:
    # Codes are long and random, so a fast hash is enough (as for API tokens).
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def _format(code: str) -> str:
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def _taken(username: str) -> str:
    return _("%(name)r is already taken") % {"name": username}


def _not_an_address(email: str) -> str:
    return _("%(email)r is not an e-mail address") % {"email": email}


def invitation_subject(invitation: Invitation) -> str:
    # A line break in a header would be refused (BadHeaderError): keep the subject on one.
    name = " ".join(invitation.project.name.split())
    return _("Invitation to the wavetag project %(project)s") % {"project": name}


def invitation_text(invitation: Invitation, code: str, link: str, base_url: str = "") -> str:
    """The invitation's mail, in the inviting person's language; the expiry in their time
    zone (the one active for the request), named."""
    expires = timezone.localtime(invitation.expires_at)
    values = {
        "project": invitation.project.name,
        "role": role_name(invitation.role),
        "by": invitation.created_by.get_username() if invitation.created_by else "",
        "link": link,
        "code": code,
        "at": f"{base_url.rstrip('/')}/register/" if base_url else "",
        "expires": f"{expires:%Y-%m-%d %H:%M} {timezone.get_current_timezone_name()}",
    }
    head = (
        _("You are invited to the wavetag project %(project)s as %(role)s by %(by)s.")
        if values["by"]
        else _("You are invited to the wavetag project %(project)s as %(role)s.")
    )
    enter = (
        _("or enter the code %(code)s at %(at)s.")
        if values["at"]
        else _("or enter the code %(code)s.")
    )
    lines = [
        head,
        "",
        _("Register here:"),
        "%(link)s",
        "",
        enter,
        _("The invitation works once and expires on %(expires)s."),
        _("If you did not expect it, ignore this message."),
    ]
    return "\n".join(line % values for line in lines) + "\n"


def create_invitation(
    project: Project,
    role: str,
    *,
    email: str = "",
    days: float = 14,
    created_by: Any = None,
) -> tuple[Invitation, str]:
    """A new invitation; returns it and the code, shown once (only its hash is kept)."""
    if role not in Role.values:
        raise InvalidInput(
            "role: " + _("must be one of %(roles)s") % {"roles": ", ".join(Role.values)}
        )
    if isinstance(days, bool) or not isinstance(days, int | float) or not 0 < days <= MAX_DAYS:
        raise InvalidInput(
            "days: " + _("must be more than 0 and at most %(days)s") % {"days": MAX_DAYS}
        )
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput("email: " + _not_an_address(email)) from None
    code = "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))
    invitation = Invitation.objects.create(
        code_hash=hash_code(code),
        prefix=code[:5],
        project=project,
        role=role,
        email=email,
        expires_at=timezone.now() + timedelta(days=days),
        created_by=created_by,
    )
    return invitation, _format(code)


@dataclass
class Delivery:
    """The registration link of a new invitation, and whether it went out by e-mail."""

    link: str
    emailed: bool = False
    error: str = ""  # why the e-mail could not be sent, meant for the person inviting


def registration_link(code: str, base_url: str) -> str:
    return base_url.rstrip("/") + "/register/?" + urlencode({"code": code})


def deliver_invitation(
    invitation: Invitation, code: str, base_url: str, *, connection: Any = None
) -> Delivery:
    """The registration link at ``base_url`` (the site's address), e-mailed to the
    invitation's address if it has one (through ``connection``, or the site's mail
    settings). A mail server that refuses is reported, not raised: the invitation stands
    and the link can be given by hand."""
    delivery = Delivery(registration_link(code, base_url))
    if not invitation.email:
        return delivery
    body = invitation_text(invitation, code, delivery.link, base_url)
    try:
        send_mail(
            invitation_subject(invitation),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [invitation.email],
            connection=connection,
        )
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("invitation mail to %s failed: %s", invitation.email, exc)
        delivery.error = "email: " + _(
            "the invitation could not be sent to %(email)s (%(why)s); give them the link yourself"
        ) % {"email": invitation.email, "why": exc}
        return delivery
    delivery.emailed = True
    return delivery


def _find(code: str) -> Invitation:
    if not normalize_code(code):
        raise RegistrationError("code: " + _("give the invitation code"))
    invitation = (
        Invitation.objects.select_related("project").filter(code_hash=hash_code(code)).first()
    )
    if invitation is None:
        raise RegistrationError("code: " + _("no such invitation code (check for typos)"))
    if invitation.used_at is not None:
        raise RegistrationError("code: " + _("this invitation has already been used"))
    if invitation.expires_at <= timezone.now():
        raise RegistrationError("code: " + _("this invitation has expired; ask for a new one"))
    return invitation


def _take(invitation: Invitation, user: Any) -> None:
    """Mark the invitation used by ``user``; fails if someone else took it meanwhile."""
    now = timezone.now()
    taken = Invitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now, used_by=user)
    if taken != 1:
        raise RegistrationError("code: " + _("this invitation has already been used"))


def check_username(username: str) -> str:
    user_model = get_user_model()
    username = (username or "").strip()
    if not username:
        raise RegistrationError("username: " + _("required"))
    if len(username) > 150:
        raise RegistrationError("username: " + _("at most 150 characters"))
    try:
        user_model.username_validator(username)
    except ValidationError:
        raise RegistrationError("username: " + _("letters, digits and @ . + - _ only")) from None
    if user_model.objects.filter(username__iexact=username).exists():
        raise RegistrationError("username: " + _taken(username))
    return username


def check_password(password: str, username: str, email: str) -> None:
    user_model = get_user_model()
    try:
        validate_password(password or "", user=user_model(username=username, email=email))
    except ValidationError as exc:
        raise RegistrationError("password: " + " ".join(exc.messages)) from None


def _check_email(email: str) -> str:
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RegistrationError("email: " + _not_an_address(email)) from None
    return email


def create_user(username: str, password: str, email: str = "", *, staff: bool = False) -> Any:
    """A new account, password checked by the site's password validators. ``staff`` makes
    a site admin: every project and the Django admin pages (so superuser too: staff
    without model permissions would see an empty admin)."""
    username = check_username(username)
    email = _check_email(email)
    check_password(password, username, email)
    try:
        with transaction.atomic():
            return get_user_model().objects.create_user(
                username=username,
                password=password,
                email=email,
                is_staff=staff,
                is_superuser=staff,
            )
    except IntegrityError:
        raise RegistrationError("username: " + _taken(username)) from None


def register_with_invitation(code: str, username: str, password: str, email: str = "") -> Any:
    """Create an account with an invitation code and make it a member of the invitation's
    project, with its role. The code works once."""
    invitation = _find(code)
    email = _check_email(email)
    if invitation.email:
        if email and email.lower() != invitation.email.lower():
            raise RegistrationError("email: " + _("this invitation is for another e-mail address"))
        email = invitation.email
    username = check_username(username)
    check_password(password, username, email)
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=username, password=password, email=email
            )
            _take(invitation, user)
            add_member(invitation.project, user, invitation.role)
    except IntegrityError:
        raise RegistrationError("username: " + _taken(username)) from None
    return user


def accept_invitation(code: str, user: Any) -> Project:
    """An existing user joins the invitation's project (a role already higher is kept)."""
    from wavetag.projects.access import has_role, role_in

    invitation = _find(code)
    if invitation.email and invitation.email.lower() != (user.email or "").lower():
        raise RegistrationError("code: " + _("this invitation is for another e-mail address"))
    with transaction.atomic():
        _take(invitation, user)
        if not has_role(role_in(user, invitation.project), invitation.role):
            add_member(invitation.project, user, invitation.role)
    return invitation.project

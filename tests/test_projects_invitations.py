"""Invitations: one-time codes with a role, a project and an expiry; registration."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from wavetag.accounts.models import Invitation
from wavetag.accounts.registration import (
    RegistrationError,
    accept_invitation,
    create_invitation,
    create_user,
    register_with_invitation,
)
from wavetag.errors import InvalidInput

from .factories import bearer, call, make_member, make_project, make_user

pytestmark = pytest.mark.django_db
PASSWORD = "a long pass phrase 7"


@pytest.fixture
def project(ecg_record: Any) -> Any:
    return make_project("ecg", "ecg", "resting-12lead")


class TestInvitation:
    def test_code_is_shown_once_and_stored_hashed(self, project: Any) -> None:
        invitation, code = create_invitation(project, "adjudicator", email="dr@example.org")
        assert len(code.replace("-", "")) == 20
        stored = Invitation.objects.get()
        assert code.replace("-", "") not in str(stored.__dict__)
        assert stored.role == "adjudicator" and stored.email == "dr@example.org"
        assert timedelta(days=13) < stored.expires_at - timezone.now() <= timedelta(days=14)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"role": "boss"}, "role: must be one of"),
            ({"days": 0}, "days: must be more than 0"),
            ({"email": "not an address"}, "email: 'not an address' is not an e-mail address"),
        ],
    )
    def test_bad_invitations(self, project: Any, kwargs: dict[str, Any], message: str) -> None:
        options = {"role": "annotator", **kwargs}
        role = options.pop("role")
        with pytest.raises(InvalidInput, match=message):
            create_invitation(project, role, **options)

    def test_invitation_through_the_api(self, project: Any, client: Client) -> None:
        admin = bearer(make_member(project, "boss", "admin"))
        url = f"/api/v1/projects/{project.pk}/invitations"
        status, body = call(client, "post", url, admin, {"role": "annotator", "days": 2})
        assert status == 201 and body["role"] == "annotator"
        user = register_with_invitation(body["code"], "newbie", PASSWORD)
        assert project.memberships.get(user=user).role == "annotator"
        status, body = call(client, "post", url, admin, {"role": "king"})
        assert status == 422 and "role: Input should be" in body["detail"]


class TestInvitationMail:
    """The registration link goes by mail to the invitation's address, from the console
    page, the API and the command alike (one service: ``deliver_invitation``)."""

    def test_the_service_mails_the_link(self, project: Any) -> None:
        from django.core import mail

        from wavetag.accounts.registration import deliver_invitation

        boss = make_member(project, "boss", "admin")
        invitation, code = create_invitation(
            project, "annotator", email="dr@example.org", created_by=boss
        )
        delivery = deliver_invitation(invitation, code, "https://wavetag.example.org/")
        link = f"https://wavetag.example.org/register/?code={code}"
        assert delivery.emailed and delivery.link == link and not delivery.error
        (sent,) = mail.outbox
        assert sent.to == ["dr@example.org"] and "ecg" in sent.subject
        assert link in sent.body and "as annotator by boss" in sent.body
        # No address, no mail; the link is still given.
        plain, code = create_invitation(project, "annotator")
        assert not deliver_invitation(plain, code, "http://x.org").emailed
        assert len(mail.outbox) == 1

    def test_a_line_break_in_the_project_name_stays_out_of_the_subject(self, project: Any) -> None:
        from django.core import mail

        from wavetag.accounts.registration import deliver_invitation

        project.name = "ecg\nBcc: someone@example.org"
        project.save()
        invitation, code = create_invitation(project, "annotator", email="dr@example.org")
        assert deliver_invitation(invitation, code, "http://x.org").emailed
        assert "\n" not in mail.outbox[0].subject and mail.outbox[0].bcc == []

    def test_a_refusing_mail_server_is_reported_not_raised(
        self, project: Any, settings: Any
    ) -> None:
        from wavetag.accounts.registration import deliver_invitation

        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
        invitation, code = create_invitation(project, "annotator", email="dr@example.org")
        delivery = deliver_invitation(invitation, code, "http://x.org")
        assert not delivery.emailed and code in delivery.link
        assert "email: the invitation could not be sent to dr@example.org" in delivery.error

    def test_the_api_mails_the_link(self, project: Any, client: Client) -> None:
        from django.core import mail

        admin = bearer(make_member(project, "boss", "admin"))
        url = f"/api/v1/projects/{project.pk}/invitations"
        status, body = call(client, "post", url, admin, {"role": "adjudicator", "email": "a@b.org"})
        assert status == 201 and body["emailed"] is True and body["mail_error"] == ""
        assert body["link"] == f"http://testserver/register/?code={body['code']}"
        assert mail.outbox[0].to == ["a@b.org"] and body["link"] in mail.outbox[0].body
        status, body = call(client, "post", url, admin, {"role": "annotator"})
        assert status == 201 and body["emailed"] is False and len(mail.outbox) == 1

    def test_the_console_page_mails_the_link(self, project: Any) -> None:
        from django.core import mail

        client = Client()
        client.force_login(make_member(project, "boss", "admin"))
        response = client.post(
            f"/projects/{project.pk}/console/invitations/",
            {"role": "annotator", "email": "nurse@example.org"},
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert "An e-mail with this link was sent to nurse@example.org" in page
        (sent,) = mail.outbox
        link = re.search(r"http://testserver/register/\?code=[A-Z0-9-]+", sent.body)
        assert link and link.group(0) in page
        # The link opens the registration form with the code filled in.
        code = link.group(0).split("code=")[1]
        page = Client().get(link.group(0).removeprefix("http://testserver")).content.decode()
        assert f'value="{code}"' in page


class TestRegistration:
    def test_register_joins_the_project_with_the_role(self, project: Any) -> None:
        _, code = create_invitation(project, "adjudicator")
        user = register_with_invitation(code.lower(), "Dr.Who", PASSWORD, "who@example.org")
        assert user.check_password(PASSWORD) and user.email == "who@example.org"
        assert project.memberships.get(user=user).role == "adjudicator"
        invitation = Invitation.objects.get()
        assert invitation.used_by == user and invitation.used_at is not None
        assert Client().login(username="Dr.Who", password=PASSWORD)

    def test_a_code_works_once(self, project: Any) -> None:
        _, code = create_invitation(project, "annotator")
        register_with_invitation(code, "first", PASSWORD)
        with pytest.raises(RegistrationError, match="code: this invitation has already been used"):
            register_with_invitation(code, "second", PASSWORD)

    def test_expired_and_unknown_codes(self, project: Any) -> None:
        _, code = create_invitation(project, "annotator")
        Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
        with pytest.raises(RegistrationError, match="code: this invitation has expired"):
            register_with_invitation(code, "late", PASSWORD)
        with pytest.raises(RegistrationError, match="code: no such invitation code"):
            register_with_invitation("AAAAA-BBBBB", "guess", PASSWORD)
        with pytest.raises(RegistrationError, match="code: give the invitation code"):
            register_with_invitation(" ", "guess", PASSWORD)

    def test_password_is_checked_by_the_site_validators(self, project: Any) -> None:
        _, code = create_invitation(project, "annotator")
        for password, reason in [
            ("short", "too short"),
            ("password123", "too common"),
            ("8362910457", "entirely numeric"),
            ("carolinecarter", "too similar"),
        ]:
            with pytest.raises(RegistrationError) as err:
                register_with_invitation(code, "carolinecarter", password)
            assert str(err.value).startswith("password:") and reason in str(err.value)
        assert not get_user_model().objects.filter(username="carolinecarter").exists()
        register_with_invitation(code, "carolinecarter", PASSWORD)

    def test_taken_username_leaves_the_code_usable(self, project: Any) -> None:
        make_user("taken", password=None)
        _, code = create_invitation(project, "annotator")
        with pytest.raises(RegistrationError, match="username: 'TAKEN' is already taken"):
            register_with_invitation(code, "TAKEN", PASSWORD)
        with pytest.raises(RegistrationError, match="username: letters, digits"):
            register_with_invitation(code, "no spaces", PASSWORD)
        register_with_invitation(code, "free", PASSWORD)

    def test_email_bound_invitation(self, project: Any) -> None:
        _, code = create_invitation(project, "annotator", email="Dr@Example.org")
        with pytest.raises(RegistrationError, match="email: this invitation is for another"):
            register_with_invitation(code, "x", PASSWORD, "other@example.org")
        user = register_with_invitation(code, "x", PASSWORD)
        assert user.email.lower() == "dr@example.org"

    def test_existing_user_accepts_an_invitation(self, project: Any) -> None:
        user = make_user("known", password=None)
        _, code = create_invitation(project, "admin")
        assert accept_invitation(code, user) == project
        assert project.memberships.get(user=user).role == "admin"
        with pytest.raises(RegistrationError, match="already been used"):
            accept_invitation(code, user)


class TestCreateUser:
    def test_create_user_checks_name_and_password(self) -> None:
        user = create_user("nurse", PASSWORD, "nurse@example.org")
        assert user.check_password(PASSWORD) and not user.is_staff
        with pytest.raises(RegistrationError, match="username: 'Nurse' is already taken"):
            create_user("Nurse", PASSWORD)
        with pytest.raises(RegistrationError, match="password:"):
            create_user("other", "abc")
        with pytest.raises(RegistrationError, match="email:"):
            create_user("other", PASSWORD, "nope")

"""The commands hospital IT uses: user create, project create / add-member, invite.

Run as a user runs them: in their own process, on their own WAVETAG_HOME (SQLite).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .factories import run_wavetag

PASSWORD = "a long pass phrase 7"


def rows(home: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(home / "wavetag.sqlite3") as conn:
        return conn.execute(sql).fetchall()


def refused(result: Any, *words: str) -> None:
    """Exit status not 0, one line on stderr naming the problem, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in result.stderr, result.stderr


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, data_dir: Path) -> Path:
    home = tmp_path_factory.mktemp("cli")
    result = run_wavetag(home, "import", str(data_dir / "challenge2015"), "--dataset", "icu")
    assert result.returncode == 0, result.stderr
    result = run_wavetag(home, "import", str(data_dir / "mitdb/100"), "--dataset", "holter")
    assert result.returncode == 0, result.stderr
    return home


class TestUserCommand:
    def test_password_from_the_environment(self, home: Path) -> None:
        result = run_wavetag(
            home, "user", "create", "nurse", "--email", "n@example.org", WAVETAG_PASSWORD=PASSWORD
        )
        assert result.returncode == 0, result.stderr
        assert rows(home, "select username, email, is_staff from auth_user") == [
            ("nurse", "n@example.org", 0)
        ]
        again = run_wavetag(home, "user", "create", "nurse", WAVETAG_PASSWORD=PASSWORD)
        refused(again, "username: 'nurse' is already taken")

    def test_no_password_and_no_terminal_is_refused(self, home: Path) -> None:
        result = run_wavetag(home, "user", "create", "ghost")
        refused(result, "WAVETAG_PASSWORD")
        assert rows(home, "select count(*) from auth_user where username='ghost'") == [(0,)]

    def test_weak_password_is_refused(self, home: Path) -> None:
        result = run_wavetag(home, "user", "create", "weak", WAVETAG_PASSWORD="12345678")
        refused(result, "password:", "too common")
        assert len(result.stderr.strip().splitlines()) == 1


class TestProjectCommand:
    def test_create_add_member_and_invite(self, home: Path) -> None:
        result = run_wavetag(
            home,
            "project",
            "create",
            "alarms",
            "--dataset",
            "icu",
            "--template",
            "icu-alarm",
            "--event-at",
            "300",
            "--annotators-per-task",
            "3",
            "--batch-size",
            "5",
        )
        assert result.returncode == 0, result.stderr
        assert "2 tasks" in result.stdout
        assert rows(
            home,
            "select name, template, annotators_per_task, batch_size, blind from projects_project",
        ) == [("alarms", "icu-alarm", 3, 5, 1)]
        assert rows(home, "select event_time, alarm_type from projects_task") == [
            (300.0, "Ventricular_Tachycardia"),
            (300.0, "Ventricular_Tachycardia"),
        ]
        assert run_wavetag(home, "user", "create", "doc", WAVETAG_PASSWORD=PASSWORD).returncode == 0
        added = run_wavetag(home, "project", "add-member", "alarms", "doc", "--role", "adjudicator")
        assert added.returncode == 0, added.stderr
        assert rows(home, "select role from projects_membership") == [("adjudicator",)]
        invite = run_wavetag(home, "invite", "alarms", "--role", "annotator", "--days", "3")
        assert invite.returncode == 0, invite.stderr
        code = invite.stdout.strip()
        assert len(code.replace("-", "")) == 20
        # The code is stored only as a hash, and it registers exactly once.
        assert rows(home, "select prefix from accounts_invitation") == [(code[:5],)]
        script = (
            "from wavetag.accounts.registration import register_with_invitation as r\n"
            f"u = r({code!r}, 'newbie', {PASSWORD!r})\n"
            "print(u.memberships.get().role)\n"
        )
        result = run_wavetag(home, "shell", "-v", "0", "-c", script)
        assert result.stdout.strip() == "annotator", result.stderr
        again = run_wavetag(home, "shell", "-v", "0", "-c", script.replace("newbie", "other"))
        assert "already been used" in again.stderr

    @pytest.mark.parametrize(
        ("args", "words"),
        [
            (["--dataset", "nope", "--template", "icu-alarm"], ["dataset: no dataset named"]),
            (["--dataset", "icu", "--template", "ecg"], ["template: unknown template 'ecg'"]),
            (
                ["--dataset", "icu", "--template", "icu-alarm", "--annotators-per-task", "6"],
                ["annotators_per_task", "1 to 5"],
            ),
            (
                ["--dataset", "holter", "--template", "wearable-rhythm", "--segment-seconds", "20"],
                ["--segment-seconds", "invalid choice"],
            ),
            (["--dataset", "icu"], ["--template", "--schema"]),
        ],
    )
    def test_create_errors(self, home: Path, args: list[str], words: list[str]) -> None:
        refused(run_wavetag(home, "project", "create", "bad", *args), *words)
        assert rows(home, "select count(*) from projects_project where name='bad'") == [(0,)]

    def test_wearable_segments_and_custom_schema(self, home: Path, tmp_path: Path) -> None:
        result = run_wavetag(
            home,
            "project",
            "create",
            "rhythm",
            "--dataset",
            "holter",
            "--template",
            "wearable-rhythm",
            "--segment-seconds",
            "10",
        )
        assert result.returncode == 0 and "180 tasks" in result.stdout, result.stderr
        schema = {
            "name": "noise",
            "fields": [
                {
                    "name": "noisy",
                    "type": "choice",
                    "required": True,
                    "choices": [{"value": "yes", "key": "y"}, {"value": "no", "key": "y"}],
                }
            ],
        }
        path = tmp_path / "schema.json"
        path.write_text(json.dumps(schema))
        args = ["project", "create", "noise", "--dataset", "holter", "--schema", str(path)]
        refused(run_wavetag(home, *args), "field 'noisy': shortcut 'y'")
        schema["fields"][0]["choices"][1]["key"] = "n"
        path.write_text(json.dumps(schema))
        result = run_wavetag(home, *args)
        assert result.returncode == 0 and "custom on holter, 1 task" in result.stdout
        path.write_text("{oops")
        refused(run_wavetag(home, *args[:2], "noise2", *args[3:]), "is not valid JSON")

    def test_member_errors(self, home: Path) -> None:
        refused(
            run_wavetag(home, "project", "add-member", "nope", "x", "--role", "annotator"),
            "project: no project named 'nope'",
        )
        refused(
            run_wavetag(home, "project", "add-member", "alarms", "x", "--role", "boss"),
            "invalid choice",
        )
        refused(run_wavetag(home, "invite", "alarms", "--role", "admin", "--days", "0"), "days:")

    def test_the_last_admin_stays_unless_asked(self, home: Path) -> None:
        created = run_wavetag(
            home, "project", "create", "kept", "--dataset", "icu", "--template", "icu-alarm"
        )
        assert created.returncode == 0, created.stderr
        user = run_wavetag(home, "user", "create", "boss", WAVETAG_PASSWORD=PASSWORD)
        assert user.returncode == 0, user.stderr
        member = ["project", "add-member", "kept", "boss"]
        assert run_wavetag(home, *member, "--role", "admin").returncode == 0
        refused(
            run_wavetag(home, *member, "--role", "annotator"),
            "boss is the last admin of kept",
            "--allow-no-admin",
        )
        refused(run_wavetag(home, "project", "remove-member", "kept", "boss"), "last admin")
        forced = run_wavetag(home, "project", "remove-member", "kept", "boss", "--allow-no-admin")
        assert forced.returncode == 0 and "boss removed from kept" in forced.stdout

    def test_invite_mails_the_link_at_the_base_url(self, home: Path) -> None:
        created = run_wavetag(
            home, "project", "create", "mailed", "--dataset", "icu", "--template", "icu-alarm"
        )
        assert created.returncode == 0, created.stderr
        result = run_wavetag(
            home,
            "invite",
            "mailed",
            "--role",
            "adjudicator",
            "--email",
            "dr@example.org",
            WAVETAG_BASE_URL="https://wavetag.example.org/team/",
        )
        assert result.returncode == 0, result.stderr
        # stdout holds the code only; the mail (console backend) and the link go to stderr.
        code = result.stdout.strip()
        link = f"https://wavetag.example.org/team/register/?code={code}"
        assert f"registration link: {link}" in result.stderr
        assert "e-mailed to dr@example.org" in result.stderr
        assert "Subject: Invitation to the wavetag project mailed" in result.stderr
        assert "To: dr@example.org" in result.stderr
        refused(
            run_wavetag(home, "invite", "mailed", "--role", "annotator", WAVETAG_BASE_URL="x.org"),
            "WAVETAG_BASE_URL",
        )

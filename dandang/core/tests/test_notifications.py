import datetime as dt

import pytest
from django.utils import translation

from dandang.core.errors import NotFound, ValidationFailed
from dandang.core.models import Notification
from dandang.core.notifications import (
    inbox,
    inbox_unread_count,
    notification_mark_read,
    notification_send,
    render_message,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_world")]


def test_send_and_read_the_inbox(world):
    user = world.user("staff_a")
    first = notification_send(user=user, kind="notice", message="holidays_missing", params={"year": 2027})
    second = notification_send(
        user=user,
        kind="todo",
        message="deadline_near",
        params={"title": "年度考核", "due": "2027-01-08"},
        due_date=dt.date(2027, 1, 8),
        link="/cases/1/",
    )
    assert [n.pk for n in inbox(user)] == [second.pk, first.pk]  # newest first
    assert inbox_unread_count(user) == 2
    assert list(inbox(world.user("staff_b"))) == []  # an inbox is its owner's only

    notification_mark_read(viewer=user, notification_id=first.pk)
    assert inbox_unread_count(user) == 1
    assert [n.pk for n in inbox(user)] == [second.pk, first.pk]  # unread first
    assert [n.pk for n in inbox(user, unread_only=True)] == [second.pk]


def test_dedupe_key_delivers_once(world):
    user = world.user("staff_a")
    assert notification_send(user=user, kind="todo", message="holidays_missing", dedupe_key="h:2027") is not None
    assert notification_send(user=user, kind="todo", message="holidays_missing", dedupe_key="h:2027") is None
    # Another user, or another key, is another delivery.
    assert notification_send(user=world.user("staff_b"), kind="todo", message="holidays_missing", dedupe_key="h:2027")
    assert notification_send(user=user, kind="todo", message="holidays_missing", dedupe_key="h:2028")
    assert Notification.objects.filter(user=user).count() == 2


@pytest.mark.parametrize(("kind", "message"), [("todo", "no_such_message"), ("shout", "holidays_missing")])
def test_unknown_kind_or_message_is_refused(world, kind, message):
    with pytest.raises(ValidationFailed):
        notification_send(user=world.user("staff_a"), kind=kind, message=message)
    assert not Notification.objects.exists()


def test_nobody_marks_another_users_notification(world):
    note = notification_send(user=world.user("staff_a"), kind="notice", message="holidays_missing")
    with pytest.raises(NotFound):
        notification_mark_read(viewer=world.user("staff_b"), notification_id=note.pk)
    with pytest.raises(NotFound):
        notification_mark_read(viewer=world.user("staff_a"), notification_id="not-a-number")
    assert Notification.objects.get(pk=note.pk).read_at is None


def test_message_is_rendered_in_the_readers_language():
    with translation.override("en"):
        text = render_message("holidays_missing", {"year": 2027})
    assert "2027" in text and "holiday table" in text
    assert render_message("unknown_key", {}) == "unknown_key"
    # Missing parameters do not break the inbox.
    with translation.override("en"):
        assert "%(year)s" in render_message("holidays_missing", {})

"""The inbox: to-dos and notices for one user (DESIGN.md "Notifications").

A notification stores a message key and its parameters; :data:`MESSAGES` turns them into text in
the reader's language when the inbox is shown.  Later capabilities register their own keys with
:func:`register_message`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dandang.core.errors import NotFound, ValidationFailed
from dandang.core.models import Notification

MESSAGES: dict[str, Promise] = {
    "roster_import_done": _("Roster import finished: %(rows)s rows written."),
    "roster_import_failed": _("Roster import refused: %(errors)s errors, nothing was changed."),
    "grant_received": _("You were granted the role “%(role)s” in %(organization)s."),
    "deadline_near": _("“%(title)s” is due on %(due)s."),
    "holidays_missing": _("The holiday table has no entry for %(year)s yet: deadlines in that year are provisional."),
}


def register_message(key: str, text: Promise) -> None:
    MESSAGES[key] = text


def render_message(key: str, params: dict[str, Any]) -> str:
    template = MESSAGES.get(key)
    if template is None:
        return key
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def notification_send(
    *,
    user: Any,
    kind: str,
    message: str,
    params: dict[str, Any] | None = None,
    link: str = "",
    due_date: dt.date | None = None,
    dedupe_key: str = "",
) -> Notification | None:
    """Deliver to ``user``'s inbox.  With ``dedupe_key`` a reminder is delivered once only
    (background tasks may run again).  Inbox deliveries are not audited: they change no domain
    data."""
    if message not in MESSAGES:
        raise ValidationFailed(_("Unknown notification message."))
    if kind not in Notification.Kind.values:
        raise ValidationFailed(_("Unknown notification kind."))
    try:
        with transaction.atomic():
            return Notification.objects.create(
                user=user,
                kind=kind,
                message=message,
                params=params or {},
                link=link,
                due_date=due_date,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return None


def inbox(viewer: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    # Unread first (NULL read_at: spelled out, SQLite and PostgreSQL sort NULLs differently), newest first.
    qs = Notification.objects.filter(user_id=viewer.pk).order_by(
        F("read_at").desc(nulls_first=True), "-created_at", "-id"
    )
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def inbox_unread_count(viewer: Any) -> int:
    if not getattr(viewer, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=viewer.pk, read_at__isnull=True).count()


def notification_mark_read(*, viewer: Any, notification_id: Any) -> Notification:
    try:
        note = Notification.objects.get(pk=int(notification_id), user_id=viewer.pk)
    except (Notification.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("Notification not found.")) from None
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note

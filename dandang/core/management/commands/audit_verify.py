"""Recompute every audit chain and name the first broken link of each broken chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from dandang.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the hash chains of the audit log."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_verify()
        if not broken:
            self.stdout.write(self.style.SUCCESS(f"audit chains intact: {checked} partition(s) verified"))
            return
        for link in broken:
            self.stderr.write(f"BROKEN {link.partition}#{link.seq} (event id {link.event_id}): {link.problem}")
        raise SystemExit(1)

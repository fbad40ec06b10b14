"""``manage.py demo``: load the deterministic demo county (or, for benchmarks, a province)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from dandang.core.errors import ApplicationError
from dandang.web.demo import DEFAULT_SEED, demo_build, demo_database_is_empty


class Command(BaseCommand):
    help = (
        "Load demo data into an empty database: the county 示范县 with about 1,500 cadres, or with "
        "--scale province about 200,000 cadres for benchmarks. Demo users share the password "
        "printed by demo_logins (demo only)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed (same seed, same data).")
        parser.add_argument("--scale", choices=["county", "province"], default="county")
        parser.add_argument(
            "--cadres",
            type=int,
            default=None,
            help="Number of cadres (default 1,500 for a county, 200,000 for a province).",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already holds organizations."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and not demo_database_is_empty():
            self.stdout.write(_("The database already holds organizations: demo data not loaded."))
            return
        try:
            report = demo_build(
                seed=options["seed"],
                scale=options["scale"],
                cadres=options["cadres"],
                progress=lambda message: self.stdout.write(message),
            )
        except ApplicationError as exc:
            detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in (exc.detail or {}).items())
            raise CommandError(f"{exc.message} {detail}".strip()) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Demo data loaded (seed %(seed)s): %(orgs)s organizations, %(posts)s posts, %(cadres)s cadres, "
                    "%(tenures)s tenures, %(users)s users in %(seconds).1f s."
                )
                % {
                    "seed": report.seed,
                    "orgs": f"{report.organizations:,}",
                    "posts": f"{report.posts:,}",
                    "cadres": f"{report.cadres:,}",
                    "tenures": f"{report.tenures:,}",
                    "users": report.users,
                    "seconds": report.seconds,
                }
            )
        )

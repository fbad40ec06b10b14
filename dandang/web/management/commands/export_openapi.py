"""Print the OpenAPI document of /api/v1/ (committed as docs/openapi.json)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import translation

from dandang.web.api import api


class Command(BaseCommand):
    help = "Print the OpenAPI document of the JSON API."

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override("en"):
            # Through JSON once: status codes may be given as ints by ninja and as strings in
            # openapi_extra, and sort_keys cannot compare the two.
            schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1"), default=str))
        self.stdout.write(json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False))

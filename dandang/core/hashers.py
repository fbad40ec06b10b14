"""Password hashing: Argon2id with the parameters of OWASP's Password Storage Cheat Sheet.

Django's ``Argon2PasswordHasher`` uses 100 MiB of memory and 8 lanes per hash, about 0.3 CPU
seconds on this project's two-core server: a few dozen people logging in at the start of a working
day would queue behind each other for seconds.  OWASP's first recommended configuration for
Argon2id — 19 MiB, two passes, one lane — takes about a tenth of that and is the strength the
cheat sheet recommends.  The parameters are deployment settings (``DANDANG_ARGON2_*``), not
policy; a stored hash with other parameters still verifies and is rehashed with these at the next
successful login (Django's ``must_update``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


class DandangArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id; same ``argon2`` algorithm name, so hashes made by Django's hasher verify."""

    @property
    def time_cost(self) -> int:  # type: ignore[override]
        return int(settings.DANDANG_ARGON2_TIME_COST)

    @property
    def memory_cost(self) -> int:  # type: ignore[override]
        return int(settings.DANDANG_ARGON2_MEMORY_KIB)

    @property
    def parallelism(self) -> int:  # type: ignore[override]
        return int(settings.DANDANG_ARGON2_PARALLELISM)

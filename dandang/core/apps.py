from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "dandang.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Rulebooks are validated at start-up: a broken YAML file stops the process with a message
        # naming the file, the key and the problem, instead of failing later in a decision.
        from dandang.core.rulebooks import validate_shipped_rulebooks

        validate_shipped_rulebooks()

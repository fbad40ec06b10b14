from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToleranceConfig(AppConfig):
    name = "dandang.tolerance"
    label = "tolerance"
    verbose_name = _("Error tolerance and correction")

    def ready(self) -> None:
        # The rule sandbox: `manage.py evaluate tolerance FILE.json` (core never imports this app).
        from dandang.core.evaluate import register_evaluator
        from dandang.tolerance.evaluation import sandbox_evaluate

        register_evaluator("tolerance", sandbox_evaluate)

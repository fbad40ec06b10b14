from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ToleranceConfig(AppConfig):
    name = "dandang.tolerance"
    label = "tolerance"
    verbose_name = _("Error tolerance and correction")

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_tool_key(**kwargs) -> None:
    """The tool signs its messages to platforms with a key: make one if there is none yet."""
    from lti_tool.models import Key

    if not Key.objects.active().exists():
        Key.objects.generate()


class LtiConfig(AppConfig):
    name = "lti"
    verbose_name = _("LMS (LTI)")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        post_migrate.connect(ensure_tool_key, sender=self)

import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from adminpanel.watchdog import Watchdog


class Command(BaseCommand):
    help = (
        "Run the django-q2 cluster (manage.py qcluster), restart it when it stops doing work, and mail the "
        "administrators when no scheduled sweep has succeeded in time. Stops the cluster on SIGTERM or Ctrl-C."
    )

    def handle(self, *args, **options):
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        watchdog = Watchdog([sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"])
        self.stdout.write(f"Watching the task cluster every {settings.WATCHDOG_CHECK_SECONDS:g} s")
        watchdog.run(stopping)
        self.stdout.write(f"Stopped the task cluster (restarted {watchdog.restarts} times while watched)")

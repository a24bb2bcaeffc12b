import signal
import sys
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from adminpanel.watchdog import Watchdog


class Command(BaseCommand):
    help = (
        "Run the django-q2 cluster (manage.py qcluster), restart it when it stops doing work, and mail the "
        "administrators when no scheduled sweep has succeeded in time. Stops the cluster on SIGTERM or Ctrl-C. "
        "With --photos: the photo cluster (PHOTO_WORKERS workers at PHOTO_NICE), which judges the selfies."
    )

    def add_arguments(self, parser):
        parser.add_argument("--photos", action="store_true", help="run the photo cluster instead of the main one")

    def handle(self, *args, photos=False, **options):
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        command = [sys.executable, str(settings.BASE_DIR / "manage.py"), "qcluster"]
        if photos and settings.PHOTO_WORKERS == 0:
            # Stays up doing nothing, so a supervisor (make run, a container) sees no crash to restart.
            self.stdout.write("PHOTO_WORKERS=0: the main cluster judges the photos; nothing to run here")
            stopping.wait()
            return
        if photos:
            watchdog = Watchdog(command, cluster=settings.PHOTO_CLUSTER, nice=settings.PHOTO_NICE)
        else:
            watchdog = Watchdog(command)
        name = f"the photo cluster ({settings.PHOTO_WORKERS} workers)" if photos else "the task cluster"
        self.stdout.write(f"Watching {name} every {settings.WATCHDOG_CHECK_SECONDS:g} s")
        watchdog.run(stopping)
        self.stdout.write(f"Stopped {name} (restarted {watchdog.restarts} times while watched)")

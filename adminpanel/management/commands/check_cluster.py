from django.core.management.base import BaseCommand, CommandError

from adminpanel import health


class Command(BaseCommand):
    help = "Exit non-zero unless a django-q2 cluster is alive (for container health checks)."

    def handle(self, *args, **options):
        probe = health.cluster()
        if not probe.ok:
            raise CommandError(probe.detail)
        self.stdout.write(f"{probe.info['clusters']} cluster(s), {probe.info['workers']} workers")

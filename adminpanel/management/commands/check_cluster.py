from django.core.management.base import BaseCommand, CommandError

from adminpanel import health


class Command(BaseCommand):
    help = (
        "Exit non-zero unless the django-q2 cluster does its work: it reports, the scheduled sweep "
        "succeeds, the task queue drains (for container health checks)."
    )

    def handle(self, *args, **options):
        probes = health.work()
        failed = [f"{name}: {probe.detail}" for name, probe in probes.items() if not probe.ok]
        if failed:
            raise CommandError("; ".join(failed))
        cluster = probes["cluster"].info
        self.stdout.write(f"{cluster['clusters']} cluster(s), {cluster['workers']} workers, doing their work")

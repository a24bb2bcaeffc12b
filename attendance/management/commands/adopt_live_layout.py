from django.core.management.base import BaseCommand

from attendance import live


class Command(BaseCommand):
    help = (
        "Move live sessions stored by the version before slot groups into their groups (run once no process "
        "of that version is left; running it again moves nothing)."
    )

    def handle(self, *args, **options):
        moved = live.adopt_previous_layout()
        self.stdout.write(f"{moved} sessions moved to the slot-group layout; {live.previous_layout_count()} left")

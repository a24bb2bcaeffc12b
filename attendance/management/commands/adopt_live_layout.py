from django.core.management.base import BaseCommand

from attendance import live


class Command(BaseCommand):
    help = (
        "Move live sessions stored by the version before slot groups into their groups (run once no process "
        "of that version is left; running it again moves nothing)."
    )

    def handle(self, *args, **options):
        moved, left = live.adopt_previous_layout(), live.previous_layout_count()
        if moved or left or options["verbosity"] > 1:  # `make run` runs it at every start: silent when idle
            self.stdout.write(f"{moved} sessions moved to the slot-group layout; {left} left")

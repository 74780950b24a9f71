from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from processes.docs import render


class Command(BaseCommand):
    help = "Write docs/processes.md from the flow classes."

    def handle(self, *args: object, **options: object) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "processes.md"
        path.write_text(render(), encoding="utf-8")
        self.stdout.write(f"wrote {path}")

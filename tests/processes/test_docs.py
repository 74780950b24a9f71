from pathlib import Path

from django.conf import settings

from processes.docs import render


def test_docs_processes_md_is_written_from_the_current_flows():
    on_disk = (Path(settings.BASE_DIR) / "docs" / "processes.md").read_text(encoding="utf-8")
    assert on_disk == render(), "run: DJANGO_DEBUG=1 .venv/bin/python manage.py flows_doc"

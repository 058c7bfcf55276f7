"""The production entry point: ``gunicorn web.wsgi:app`` (settings come from the environment)."""

from web import create_app

app = create_app()

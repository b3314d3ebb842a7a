"""The worker's entry point: ``huey_consumer worker.huey``; loads the sentiment model once."""

from bot import create_app
from bot.tasks import get_huey

app = create_app()
huey = get_huey(app)

"""The benchmark's Huey consumer entry: ``huey_consumer bench.broadcast.worker.huey``.

The same app and tasks as ``worker.py``, without loading the complaint model first: broadcasts never
classify text, and the model's ~540 MB would hide the sender's own memory.
"""

import logging

from bot import configure_logging, create_app
from bot.tasks import get_huey

configure_logging()
logging.getLogger("huey").propagate = False
app = create_app()
huey = get_huey(app)

"""gunicorn settings for the bare app: the project's own values, without its hooks (they load the bot)."""

import runpy

from bot.config import PROJECT_ROOT

_SIMPLE = (int, float, str, bool, type(None))
_project = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
globals().update({key: value for key, value in _project.items()
                  if not key.startswith("_") and isinstance(value, _SIMPLE)})

"""The bare Flask baseline: the cheapest answer gunicorn can serve with the bot's settings."""

from flask import Flask

app = Flask(__name__)


@app.post("/callback")
def hello() -> str:
    """Answer without reading the body, like a webhook that does nothing."""
    return "hello"


@app.get("/healthz")
def healthz() -> str:
    """Readiness probe for the benchmark."""
    return "ok"

"""gunicorn settings for the LINE emulator in the benchmark: one process (its state is in memory),
threads, and keep-alive, as LINE's own servers keep the bot's connections open."""

workers = 1
worker_class = "gthread"
threads = 16
keepalive = 30
timeout = 60

"""Entry point: ``python -m bench.webhook``."""

import sys

from bench.webhook.run import main

sys.exit(main())

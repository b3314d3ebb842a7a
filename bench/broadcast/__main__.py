"""Entry point: ``python -m bench.broadcast``."""

import sys

from bench.broadcast.run import main

sys.exit(main())

"""mem0cli's command line, started at a given moment, so several processes reach the store at once.

    python -m tests.helpers.start_together EPOCH_SECONDS stats

Imports first (the slow part, which varies between processes), then sleeps until the moment.
"""

from __future__ import annotations

import sys
import time

from mem0cli import cli

if __name__ == "__main__":
    start = float(sys.argv.pop(1))
    time.sleep(max(0.0, start - time.time()))
    cli.main()

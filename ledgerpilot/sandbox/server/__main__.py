"""``python -m ledgerpilot.sandbox.server``: run a sandbox server as its own process."""

import sys

from ledgerpilot.sandbox.server.runner import main

sys.exit(main())

"""``python -m novaclient_force.refserver``: same as the console script."""

import sys

from novaclient_force.refserver.cli import main

sys.exit(main())

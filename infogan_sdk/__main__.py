"""`python -m infogan_sdk ...`: the same command line as `infogan ...`."""

import sys

from infogan_sdk.cli import main

sys.exit(main())

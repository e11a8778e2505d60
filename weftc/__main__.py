"""`python -m weftc` is the `weftc` command."""

import sys

from weftc.cli import main

sys.exit(main())

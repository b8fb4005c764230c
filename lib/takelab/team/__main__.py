"""`python -m takelab.team up|down|upgrade`."""

import sys

from takelab.team.host import main

sys.exit(main())

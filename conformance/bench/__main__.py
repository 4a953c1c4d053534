"""``python -m mmapspec.bench``."""

import sys

from mmapspec.bench import main

sys.exit(main())

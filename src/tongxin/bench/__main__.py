"""``python -m tongxin.bench`` (``make bench``)."""

import sys

from tongxin.bench import main

sys.exit(main())

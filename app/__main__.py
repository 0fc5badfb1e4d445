"""``python -m app`` is the ``lernraum`` command."""

import sys

from app.cli import main

sys.exit(main())

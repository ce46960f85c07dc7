"""Root fixtures: under pytest-xdist every worker is isolated before anything reads settings."""

import os

from tests.xdist_support import isolate_worker

isolate_worker(os.environ)

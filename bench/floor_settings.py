"""The product's settings plus the floor view's URL (``bench/floor.py``), for benchmarks only."""

from rendezvous.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"

"""Settings for the benchmarks only: the project's settings, and a URL configuration that adds a bare
"hello" view (the throughput baseline). Never used in production; the production URLs stay as they are."""

from archive.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

"""The throughput and latency benchmark: ``python bench/run.py`` (see ``run.py``)."""

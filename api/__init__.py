"""The HTTP API: search the archive, read and act on alerts, stream them, and watch the pipeline.

``create_app(settings, stage_config=...)`` in ``api.app`` builds the FastAPI app (the entry
point hands it the stages' config readers, ``api.stage_config``); ``tocsin api`` serves it.
"""

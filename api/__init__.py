"""The HTTP API: search the archive, read and act on alerts, stream them, and watch the pipeline.

``create_app(settings)`` in ``api.app`` builds the FastAPI app; ``tocsin api`` serves it.
"""

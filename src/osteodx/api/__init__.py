"""REST API and web page (FastAPI). The only package that imports FastAPI."""

from osteodx.api.app import ApiSettings, create_app

__all__ = ["ApiSettings", "create_app"]

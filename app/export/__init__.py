"""Exports of a workshop's outcome record: the JSON bundle, CSV, Markdown and HTML."""

from app.export.bundle import Bundle, BundleError, build_bundle, bundle_json, read_bundle
from app.export.formats import FORMATS, MEDIA_TYPES, Format, render

__all__ = [
    "FORMATS",
    "MEDIA_TYPES",
    "Bundle",
    "BundleError",
    "Format",
    "build_bundle",
    "bundle_json",
    "read_bundle",
    "render",
]

"""Renderers: they format an Assessment and never compute."""

from osteodx.report._terminal import render_terminal

__all__ = ["render_terminal"]

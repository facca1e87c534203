"""The project file: schema (``schema``) and loader (``loader``)."""

from cxreport.config.loader import load_project
from cxreport.config.schema import Project

__all__ = ["Project", "load_project"]

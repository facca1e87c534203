"""cxreport: customer-experience data in, client-ready reports out."""

__version__ = "0.1.0"

"""OMS Desk: desktop operator console for the Open Money Stack payments API."""

__version__ = "0.1.0"

"""The one error type of the sandbox, rendered per contract D1 by app.py."""

from __future__ import annotations


class ApiError(Exception):
    """Raise anywhere in a request: becomes `{"error": {code, message, param, requestId}}`."""

    def __init__(self, status: int, code: str, message: str, param: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param


def not_found(what: str, param: str | None = None) -> ApiError:
    return ApiError(404, "not_found", f"No such {what}", param)


def invalid(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, "invalid_request", message, param)

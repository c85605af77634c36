"""The environment badge: SANDBOX (amber) or PRODUCTION (red), always visible."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from desktop.ui import theme


class EnvironmentBadge(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setObjectName("environmentBadge")
        self.set_environment("SANDBOX")

    def set_environment(self, env: str, profile_name: str = "") -> None:
        self.environment = env
        bg, fg = (
            theme.colors().production_badge if env == "PRODUCTION" else theme.colors().sandbox_badge
        )
        self.setText(env)
        self.setToolTip(f"Profile: {profile_name}" if profile_name else env)
        self.setStyleSheet(
            f"QLabel#environmentBadge {{ background: {bg}; color: {fg}; font-weight: 700;"
            f" letter-spacing: 1px; padding: 3px 10px; border-radius: 10px; }}"
        )

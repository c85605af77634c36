"""Wallet cards: address with copy button and QR code, status, live balance, and the
money-moving buttons (Fund / Send / Withdraw / Receive — wired by the wizards)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.display import estimate, money
from desktop.oms import models
from desktop.ui import theme
from desktop.ui.widgets.copyable import CopyableValue
from desktop.ui.widgets.qr import QrWidget


class WalletCard(QFrame):
    fund_requested = Signal(object)  # Wallet
    send_requested = Signal(object)
    withdraw_requested = Signal(object)
    receive_requested = Signal(object)  # a deposit address for outside USDC (D22)

    def __init__(self, wallet: models.Wallet, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wallet = wallet
        self.setObjectName("walletCard")
        c = theme.colors()
        self.setStyleSheet(
            f"QFrame#walletCard {{ border: 1px solid {c.border}; border-radius: 6px;"
            f" background: {c.base}; }}"
        )
        # QR and figures side by side, the four actions on their own row below (full width:
        # the card fits the customer pane of a 1024-pixel window without scrolling sideways).
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 10, 10, 10)
        outer.setSpacing(8)
        lay = QHBoxLayout()
        lay.setSpacing(12)
        outer.addLayout(lay)
        self.qr = QrWidget(wallet.address or "", size=112)
        lay.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)

        right = QVBoxLayout()
        right.setSpacing(4)
        title = QLabel(
            f"<b>{(wallet.asset or '?').upper()}</b> on {wallet.chain or '?'}"
            f"  ·  <span>{wallet.status}</span>"
        )
        right.addWidget(title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        grid.addWidget(_muted("Address"), 0, 0)
        self.address = CopyableValue(wallet.address or "")
        self.address.setObjectName("walletAddress")
        grid.addWidget(self.address, 0, 1)
        grid.addWidget(_muted("Wallet id"), 1, 0)
        self.wallet_id = CopyableValue(wallet.id)
        grid.addWidget(self.wallet_id, 1, 1)
        grid.addWidget(_muted("Balance"), 2, 0)
        self.balance = QLabel(money(wallet.balance, wallet.asset))
        self.balance.setObjectName("walletBalance")
        f = self.balance.font()
        f.setPointSizeF(f.pointSizeF() * 1.3)
        f.setBold(True)
        self.balance.setFont(f)
        self.balance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.balance, 2, 1)
        self.estimate = QLabel("")
        self.estimate.setProperty("role", "muted")
        grid.addWidget(self.estimate, 3, 1)
        grid.setColumnStretch(1, 1)
        right.addLayout(grid)

        buttons = QHBoxLayout()
        # Letters clear of the window's menus (File, Customer, View, Help) and tool bar
        # (New customer, Refresh) and of the pane's Edit and New wallet.
        self.fund_button = QPushButton("F&und")
        self.send_button = QPushButton("&Send")
        self.withdraw_button = QPushButton("Wi&thdraw")
        self.receive_button = QPushButton("Rece&ive")
        for b, name in (
            (self.fund_button, "fund"),
            (self.send_button, "send"),
            (self.withdraw_button, "withdraw"),
            (self.receive_button, "qr"),
        ):
            theme.set_icon(b, name)
        for b, sig in (
            (self.fund_button, self.fund_requested),
            (self.send_button, self.send_requested),
            (self.withdraw_button, self.withdraw_requested),
            (self.receive_button, self.receive_requested),
        ):
            b.setAutoDefault(False)
            b.clicked.connect(lambda _=False, s=sig: s.emit(self.wallet))
            buttons.addWidget(b)
        buttons.addStretch(1)
        right.addStretch(1)
        lay.addLayout(right, 1)
        outer.addLayout(buttons)

    def set_balance(self, balance: models.Balance) -> None:
        self.balance.setText(money(balance.balance, balance.asset or self.wallet.asset))
        if balance.estimated_balance is not None:
            cur = balance.estimated_balance_currency_code or "usd"
            self.estimate.setText(estimate(balance.estimated_balance, cur))
        self.balance.setToolTip(
            f"Updated {balance.updated_at:%Y-%m-%d %H:%M:%S} UTC" if balance.updated_at else ""
        )

    def set_balance_error(self, message: str) -> None:
        self.balance.setToolTip(message)
        if self.balance.text() in ("", "—"):
            self.balance.setText("unavailable")


def _muted(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setProperty("role", "muted")
    return lab

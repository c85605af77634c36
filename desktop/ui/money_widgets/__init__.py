"""Widgets of the money-moving wizards: countdown, money field, address field, copyable id."""

from desktop.ui.money_widgets.address_field import AddressField
from desktop.ui.money_widgets.copyable_id import CopyableId
from desktop.ui.money_widgets.countdown import CountdownLabel
from desktop.ui.money_widgets.money_field import MoneyField

__all__ = ["AddressField", "CopyableId", "CountdownLabel", "MoneyField"]

"""Quote pricing (D13), in integer minor units of usdc (6 places).

cryptoToCrypto: oms fee 0.10 % of the gross, rounded half-up at 6 places, at least 0.01;
gas 0.01 unless sponsorGas. Rate usdc/usdc 1.0, so destination.amountGross =
source.amountNet. With destination.amount fixed, the smallest gross whose net equals it.

Other destination kinds plug in through DESTINATION_PRICERS (see quotes.py): payouts.py
registers "externalAccount" for cryptoToFiat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from .errors import ApiError
from .money import format_rate, usdc

MIN_OMS_FEE = 10_000  # 0.01 usdc
GAS_FEE = 10_000  # 0.01 usdc
OMS_RATE_PER_MILLE = 1  # 0.10 %

# kind -> fn(tx, account, customer, source_wallet, request_dict, now_ms) -> PricedQuote
DESTINATION_PRICERS: dict[str, Callable] = {}


@dataclass
class PricedQuote:
    """What a pricer returns; quotes.py adds id, status, expiry and stores it."""

    type: str
    source: dict
    destination: dict
    rates: dict
    fixed_amount_side: str
    gross_minor: int  # usdc minor units reserved from the source wallet on acceptance
    recipient: str | None = None  # customer id credited/served, if any
    extra: dict | None = None  # private data kept with the quote (copied to its transaction)


def oms_fee(gross: int) -> int:
    return max(MIN_OMS_FEE, (gross * OMS_RATE_PER_MILLE + 500) // 1000)


def crypto_fees(gross: int, sponsor_gas: bool) -> tuple[int, int]:
    return oms_fee(gross), 0 if sponsor_gas else GAS_FEE


def gross_for_net(net: int, sponsor_gas: bool) -> int:
    """Smallest gross whose net (gross - fees) is exactly `net` (gross - fees is
    non-decreasing in steps of 0 or 1 minor unit, so a scan from a lower bound finds it)."""
    gas = 0 if sponsor_gas else GAS_FEE
    target = net + gas
    g = max(net + gas + MIN_OMS_FEE, ((target - 1) * 1000) // 999) - 2
    while g - oms_fee(g) - gas < net:
        g += 1
    return g


def fees_block(oms: int = 0, gas: int = 0, rail: int = 0, developer: int = 0, places: int = 6):
    from .money import format_minor

    return {
        "total": format_minor(oms + gas + rail + developer, places),
        "developer": format_minor(developer, places),
        "oms": format_minor(oms, places),
        "gas": format_minor(gas, places),
        "rail": format_minor(rail, places),
    }


def price_crypto(fixed_side: str, amount: int, sponsor_gas: bool) -> dict:
    """Returns gross, net, oms, gas (usdc minor units); 400 invalid_amount if fees eat it all."""
    if fixed_side == "source":
        gross = amount
        oms, gas = crypto_fees(gross, sponsor_gas)
        net = gross - oms - gas
        if net <= 0:
            raise ApiError(
                400, "invalid_amount", "The fees would consume the whole amount", "source.amount"
            )
    else:
        net = amount
        gross = gross_for_net(net, sponsor_gas)
        oms, gas = crypto_fees(gross, sponsor_gas)
    return {"gross": gross, "net": net, "oms": oms, "gas": gas}


def crypto_rates(gross: int, dest_net: int) -> dict:
    return {
        "exchangeRate": "1.0",
        "effectiveRate": format_rate(Decimal(dest_net) / Decimal(gross)),
        "pair": "usdc/usdc",
    }


def amounts(gross: int, net: int) -> dict:
    return {"amountGross": usdc(gross), "amountNet": usdc(net)}

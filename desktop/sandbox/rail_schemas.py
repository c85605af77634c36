"""The response shapes of the rails mounted after the first screen (see schemas.py), for the
OpenAPI document only."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .schemas import DepositInstructions, Out, _Page


class WalletOut(Out):
    id: str = Field(examples=["wlt_01m89cmmzp2q55p2hk16drv34p"])
    object: str = "wallet"
    customerId: str
    address: str = Field(examples=["0x7B3A9F2C4D1eA8bf6390cE5D2b7fA104c8e3D9B1"])
    asset: str = "usdc"
    chain: str = "polygon"
    status: str = "active"
    type: str = "internal"
    createdAt: str
    updatedAt: str


class BalanceOut(Out):
    object: str = "balance"
    walletId: str
    asset: str = "usdc"
    chain: str = "polygon"
    balance: str = Field(examples=["2500.00"])
    estimatedBalance: str
    estimatedBalanceCurrencyCode: str = "usd"
    updatedAt: str


class Fees(Out):
    total: str
    developer: str
    oms: str
    gas: str
    rail: str


class DestinationWallet(Out):
    id: str | None
    blockchainAddress: str | None
    externalAccountId: str | None


class Side(Out):
    walletId: str | None = None
    asset: str
    network: str
    amountGross: str
    amountNet: str
    feesDeducted: Fees


class DestinationSide(Out):
    wallet: DestinationWallet
    asset: str
    network: str
    amountGross: str
    amountNet: str
    feesDeducted: Fees
    bankDetails: dict[str, Any] = Field(
        default_factory=dict, description="the masked account on cryptoToFiat, {} otherwise"
    )
    cash: dict[str, Any] | None = Field(
        None, description="cryptoToCrypto only; cryptoToFiat objects do not carry it"
    )


class Rates(Out):
    exchangeRate: str = "1.0"
    effectiveRate: str
    pair: str = "usdc/usdc"


class QuoteOut(Out):
    id: str = Field(examples=["qt_01m89cqq715g8f8a0h4td1rnkw"])
    object: str = "quote"
    type: str = Field(examples=["cryptoToCrypto"])
    status: str = Field(examples=["open"], description="open | accepted | expired")
    customerId: str
    source: Side
    destination: DestinationSide
    rates: Rates
    fixedAmountSide: str = Field(examples=["source"])
    sponsorGas: bool
    sponsorGasCost: str
    developerFees: list[Any]
    metadata: dict[str, Any]
    expiresAt: str
    createdAt: str


class TransactionDestination(DestinationSide):
    rail: str | None
    txHash: str | None
    externalAccountId: str | None


class TransactionError(Out):
    code: str = Field(examples=["blockchain_rejected"])
    message: str


class TransactionOut(Out):
    id: str = Field(examples=["txn_01m89cqq715g8f8a0h4td1rnky"])
    object: str = "transaction"
    type: str
    status: str = Field(examples=["processing"], description="processing | completed | failed")
    subStatus: str | None = Field(examples=["fundsPulled"])
    quoteId: str | None
    customerId: str
    sender: str | None
    recipient: str | None
    role: str | None = Field(None, description="only with a customer context")
    fixedAmountSide: str | None
    source: dict[str, Any]
    destination: TransactionDestination
    rates: Rates | None
    sponsorGasCost: str | None
    cashInId: str | None
    depositAddressId: str | None
    partnerTransactionId: int | str | None
    error: TransactionError | None
    metadata: dict[str, Any]
    createdAt: str
    updatedAt: str
    completedAt: str | None


class WalletPage(_Page):
    data: list[WalletOut]


class TransactionPage(_Page):
    data: list[TransactionOut]


class CashLocationOut(Out):
    id: str = Field(examples=["loc_2jyz1md1qa8ssvp2hprcmwrx9f"])
    object: str = "cashLocation"
    locationReference: str
    provider: str = "greendot"
    name: str
    address: str
    city: str
    state: str
    zipCode: str
    country: str
    coordinates: dict[str, float]
    distance: str = Field(examples=["0.4"], description="miles")


class CashLocationPage(_Page):
    data: list[CashLocationOut]


class CashInSource(Out):
    asset: str = "usd"
    network: str = "cash"
    indicatedAmount: str
    amountGross: str
    amountNet: str
    feesDeducted: Fees


class CashInDestination(Out):
    wallet: DestinationWallet
    asset: str = "usdc"
    network: str = "polygon"
    amountGross: str
    amountNet: str
    feesDeducted: Fees


class CashInOut(Out):
    id: str = Field(examples=["ci_01m8n4vjhw41qk6z7f2swf1vg5"])
    object: str = "cashIn"
    type: str = "fiatToCrypto"
    status: str = Field(
        examples=["pending"], description="pending | processing | completed | failed | expired"
    )
    subStatus: str | None
    customerId: str
    source: CashInSource
    destination: CashInDestination
    cash: dict[str, Any]
    depositInstructions: DepositInstructions
    omsFeeSchedule: dict[str, Any]
    rates: Rates
    fixedAmountSide: str = "source"
    sponsorGas: bool
    sponsorGasCost: str = Field(examples=["0.00"])
    developerFees: list[Any]
    metadata: dict[str, Any]
    transactionId: str | None
    error: TransactionError | None
    createdAt: str
    updatedAt: str
    completedAt: str | None


class CashInPage(_Page):
    data: list[CashInOut]


class BarcodeAuthOut(Out):
    confirmationId: str
    responseCode: str = Field(examples=["00"], description="00 | 05 | 14 | 94")
    responseText: str
    authorizedAmount: str | None
    responseId: str
    cashInId: str | None = None


class AuthCommitOut(BarcodeAuthOut):
    transactionId: str | None = None


class BankDetailsOut(Out):
    bankName: str
    routingNumber: str
    accountNumber: str = Field(examples=["******4242"], description="always masked")
    accountHolderName: str


class ExternalAccountOut(Out):
    """A US bank account (D12: `bankDetails`) or a saved blockchain address (D23: `address`,
    `label`)."""

    id: str = Field(examples=["cpUsBank_01m8n4vjhw41qk6z7f2swf1vge"])
    object: str = "externalAccount"
    customerId: str
    type: str = Field(examples=["usBank"], description="usBank | blockchainAddress")
    network: str = Field(examples=["ach"], description="ach | wire | polygon")
    bankDetails: BankDetailsOut | None = Field(None, description="usBank only")
    address: str | None = Field(None, description="blockchainAddress only (EIP-55)")
    label: str | None = Field(None, description="blockchainAddress only")
    status: str | None = Field(None, examples=["verified"])
    createdAt: str
    updatedAt: str | None = None


class ExternalAccountPage(_Page):
    data: list[ExternalAccountOut]


class WebhookOut(Out):
    id: str = Field(examples=["whk_01m8n4w62we5ana8721sd4savt"])
    object: str = "webhook"
    url: str
    events: list[str]
    enabled: bool
    status: str = Field(examples=["active"])
    complianceOnly: bool
    description: str | None
    createdAt: str
    updatedAt: str
    secret: str | None = Field(None, description="whsec_…, returned by the create call only")


class WebhookPage(_Page):
    data: list[WebhookOut]


class WebhookAttempt(Out):
    n: int
    at: str
    webhookTimestamp: int
    statusCode: int | None
    error: str | None
    durationMs: int | None


class WebhookDelivery(Out):
    object: str = "webhookDelivery"
    webhookId: str
    eventId: str
    eventType: str
    status: str
    attemptCount: int
    nextAttemptAt: str | None
    createdAt: str
    lastStatusCode: int | None
    lastError: str | None
    attempts: list[WebhookAttempt]


class WebhookDeliveryList(Out):
    data: list[WebhookDelivery]
    hasMore: bool


class NowOut(Out):
    now: str


class CredentialsOut(Out):
    apiKey: str
    apiSecret: str

"""Response shapes, for the OpenAPI document only (handlers return ready-made JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_amount"])
    message: str
    param: str | None = Field(None, examples=["source.amount"])
    requestId: str = Field(examples=["req_01m89cmmzp2q55p2hk16drv347"])


class ErrorOut(BaseModel):
    error: ErrorDetail


class TokenOut(BaseModel):
    accessToken: str
    tokenType: str = "bearer"
    expiresIn: int = 3600
    expiresAt: str


class Requirements(BaseModel):
    complete: list[str]
    pending: list[str]
    missing: list[str]
    issues: list[str]


class Endorsement(BaseModel):
    name: str = Field(examples=["basic"])
    status: str = Field(examples=["ACTIVE"])
    rejectionReasons: list[dict[str, Any]]
    requirements: Requirements


class CustomerWalletView(BaseModel):
    id: str
    type: str = "custodial"
    address: str
    network: str
    asset: str
    balance: str
    estimatedValueUsd: str
    createdAt: str


class CustomerOut(BaseModel):
    id: str = Field(examples=["cst_01m89cmmzp2q55p2hk16drv34a"])
    object: str = "customer"
    type: str = "individual"
    firstName: str | None
    middleName: str | None
    lastName: str | None
    email: str | None
    phone: str | None
    nationality: str | None
    externalId: str | None
    status: str = Field(examples=["active"])
    signedAgreement: bool
    signedAgreementAt: str | None
    endorsements: list[Endorsement]
    wallets: list[CustomerWalletView]
    metadata: dict[str, Any]
    createdAt: str
    updatedAt: str


class WalletOut(BaseModel):
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


class BalanceOut(BaseModel):
    object: str = "balance"
    walletId: str
    asset: str = "usdc"
    chain: str = "polygon"
    balance: str = Field(examples=["2500.00"])
    estimatedBalance: str
    estimatedBalanceCurrencyCode: str = "usd"
    updatedAt: str


class Fees(BaseModel):
    total: str
    developer: str
    oms: str
    gas: str
    rail: str


class DestinationWallet(BaseModel):
    id: str | None
    blockchainAddress: str | None
    externalAccountId: str | None


class Side(BaseModel):
    walletId: str | None = None
    asset: str
    network: str
    amountGross: str
    amountNet: str
    feesDeducted: Fees


class DestinationSide(BaseModel):
    wallet: DestinationWallet
    asset: str
    network: str
    amountGross: str
    amountNet: str
    feesDeducted: Fees
    bankDetails: dict[str, Any]
    cash: dict[str, Any]


class Rates(BaseModel):
    exchangeRate: str = "1.0"
    effectiveRate: str
    pair: str = "usdc/usdc"


class QuoteOut(BaseModel):
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


class TransactionError(BaseModel):
    code: str = Field(examples=["blockchain_rejected"])
    message: str


class TransactionOut(BaseModel):
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


class _Page(BaseModel):
    hasMore: bool
    nextCursor: str | None
    previousCursor: str | None


class CustomerPage(_Page):
    data: list[CustomerOut]
    cursor: str | None


class WalletPage(_Page):
    data: list[WalletOut]


class TransactionPage(_Page):
    data: list[TransactionOut]


class HealthOut(BaseModel):
    status: str = "ok"
    now: str


class NowOut(BaseModel):
    now: str


class CredentialsOut(BaseModel):
    apiKey: str
    apiSecret: str


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": desc}
    for status, desc in [
        (
            400,
            "invalid_request / invalid_amount / invalid_address / unsupported_asset /"
            " idempotency_key_required",
        ),
        (401, "unauthorized / invalid_credentials / token_expired"),
        (403, "endorsement_required / customer_inactive"),
        (404, "not_found"),
        (409, "quote_expired / quote_not_open / idempotency_key_in_use / invalid_state"),
        (422, "insufficient_funds / limit_exceeded / idempotency_key_reused"),
        (500, "internal_error"),
    ]
}

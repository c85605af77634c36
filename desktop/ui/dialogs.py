"""Dialogs: new / edit customer, new wallet, and a read-only resource viewer.

Every dialog owns a TaskScope and cancels it in ``done()`` — the one path for
accept, reject, Escape and the close button. Buttons that would double-submit are
disabled while a request runs and restored in ``finally``. Server errors with a
``param`` are shown next to the field they name.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.oms import errors, models
from desktop.tasks import TaskScope
from desktop.ui import theme, validation
from desktop.ui.op import Op
from desktop.ui.widgets import mnemonics
from desktop.ui.widgets.banner import BannerArea

log = logging.getLogger(__name__)


class ScopedDialog(QDialog):
    """A dialog that owns a TaskScope (cancelled in ``done()``), a banner area and a busy
    indicator. Its work runs through ``op()``: the ``busy_widgets`` are disabled and the
    indicator shown while it runs, restored however it ends."""

    busy_widgets: tuple[QWidget, ...] = ()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scope = TaskScope(type(self).__name__)
        theme.style_widget(self)
        self.banners = BannerArea(reserve=1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(6)
        self.progress.setTextVisible(False)
        self.progress.setVisible(False)

    @property
    def busy(self) -> bool:
        return any(Op.is_busy(w) for w in self.busy_widgets)

    def op(self, work: Callable[[], Awaitable[Any]], name: str) -> Op:
        return Op(self.scope, work, name=name).busy(*self.busy_widgets, show=self.progress)

    def showEvent(self, event: Any) -> None:
        mnemonics.assign(self)  # every button of every dialog (issue 14)
        super().showEvent(event)

    def done(self, result: int) -> None:
        self.scope.cancel_all()
        super().done(result)


# ----------------------------------------------------------------------------- customer

_IDENTITY = (
    ("firstName", "First name", "Jane"),
    ("middleName", "Middle name", ""),
    ("lastName", "Last name", "Smith"),
    ("email", "Email", "jane@example.com"),
    ("phone", "Phone", "+12125551234"),
    ("birthDate", "Date of birth", "YYYY-MM-DD"),
    ("nationality", "Nationality", "US"),
    ("externalId", "External id", "your own user id"),
    ("ipAddress", "IP address", "203.0.113.7"),
)
_ADDRESS = (
    ("residentialAddress.line1", "Address line 1", "123 Main St"),
    ("residentialAddress.line2", "Address line 2", ""),
    ("residentialAddress.city", "City", "New York"),
    ("residentialAddress.state", "State / region", "NY"),
    ("residentialAddress.zipCode", "ZIP / postcode", "10001"),
    ("residentialAddress.country", "Country", "US"),
)
_DOC = (
    ("identifyingInformation.issuingCountry", "Issuing country", "US"),
    ("identifyingInformation.number", "Number", "123-45-6789"),
)
WRITE_ONLY = {
    "birthDate",
    "ipAddress",
    *(k for k, _l, _p in _ADDRESS),
    "identifyingInformation.type",
    *(k for k, _l, _p in _DOC),
}
_DOC_LABELS = {
    "ssn": "SSN",
    "itin": "ITIN",
    "driversLicense": "Driver's license",
    "passport": "Passport",
}


class CustomerFormDialog(ScopedDialog):
    """New customer (``customer=None``) or Edit customer (PATCH rules of §3.1).

    ``submit(body, idempotency_key)`` performs the request and returns the Customer.
    """

    saved = Signal(object)  # Customer

    def __init__(
        self,
        submit: Callable[[dict, str], Awaitable[models.Customer]],
        customer: models.Customer | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.submit_fn = submit
        self.customer = customer
        self.result_customer: models.Customer | None = None
        self.edit_mode = customer is not None
        self.setWindowTitle(
            f"Edit customer — {customer.display_name}" if customer else "New customer"
        )
        self.setObjectName("customerDialog")
        self.fields: dict[str, QLineEdit | QComboBox] = {}
        self.errors: dict[str, QLabel] = {}
        self._touched: set[str] = set()
        self._attempted = False
        self._last_attempt: tuple[str, str] | None = None  # (body json, key) of a failed try

        outer = QVBoxLayout(self)
        scroll = QScrollArea()
        scroll.setAccessibleName("Customer form")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        scroll.setWidget(body)
        cols = QHBoxLayout(body)
        cols.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        right = QVBoxLayout()
        cols.addLayout(left, 1)
        cols.addLayout(right, 1)
        outer.addWidget(scroll, 1)

        left.addWidget(self._group("Identity", _IDENTITY))
        left.addStretch(1)
        right.addWidget(self._group("Residential address", _ADDRESS))
        doc_box = self._group("ID document", _DOC, doc=True)
        right.addWidget(doc_box)
        right.addWidget(self._endorsements_group())
        right.addStretch(1)

        note = QLabel(
            "Endorsements are granted when name, date of birth, address and an ID document "
            "are present."
            + (
                "  Date of birth, IP, address and ID are write-only: leave them empty to keep "
                "what the server has."
                if self.edit_mode
                else ""
            )
        )
        note.setWordWrap(True)
        note.setProperty("role", "muted")
        outer.addWidget(note)
        outer.addWidget(self.banners)
        outer.addWidget(self.progress)
        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            "Save changes" if self.edit_mode else "Create customer",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.save_button.setObjectName("saveButton")
        self.save_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.busy_widgets = (self.save_button,)
        self.save_button.clicked.connect(self.attempt_submit)
        self.cancel_button.clicked.connect(self.reject)
        outer.addWidget(self.buttons)

        if customer is not None:
            self._prefill(customer)
        mnemonics.assign(self)
        self.resize(860, 540)

    # ---- building ---------------------------------------------------------------

    def _field_row(self, form: QFormLayout, key: str, label: str, placeholder: str) -> None:
        edit = QLineEdit()
        edit.setObjectName(f"field:{key}")
        edit.setAccessibleName(label.replace("&", ""))  # the form label is on its box
        edit.setPlaceholderText(placeholder)
        if key in (
            "nationality",
            "residentialAddress.country",
            "identifyingInformation.issuingCountry",
        ):
            edit.setMaxLength(2)
        edit.textEdited.connect(lambda _t, k=key: self._on_edited(k))
        err = QLabel()
        err.setObjectName(f"error:{key}")
        err.setProperty("role", "fieldError")
        err.setWordWrap(True)
        err.setVisible(False)
        box = QWidget()
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(1)
        v.addWidget(edit)
        v.addWidget(err)
        form.addRow(label, box)
        self.fields[key] = edit
        self.errors[key] = err

    def _group(self, title: str, rows, *, doc: bool = False) -> QGroupBox:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        if doc:
            combo = QComboBox()
            combo.setObjectName("field:identifyingInformation.type")
            combo.setAccessibleName("Document type")
            combo.addItem("—", "")
            for t in validation.ID_TYPES:
                combo.addItem(_DOC_LABELS[t], t)
            combo.currentIndexChanged.connect(
                lambda _i: self._on_edited("identifyingInformation.type")
            )
            err = QLabel()
            err.setProperty("role", "fieldError")
            err.setObjectName("error:identifyingInformation.type")
            err.setVisible(False)
            w = QWidget()
            v = QVBoxLayout(w)
            v.setContentsMargins(0, 0, 0, 0)
            v.setSpacing(1)
            v.addWidget(combo)
            v.addWidget(err)
            form.addRow("Type", w)
            self.fields["identifyingInformation.type"] = combo
            self.errors["identifyingInformation.type"] = err
        for key, label, ph in rows:
            self._field_row(form, key, label, ph)
        return box

    def _endorsements_group(self) -> QGroupBox:
        box = QGroupBox("Endorsements and agreement")
        v = QVBoxLayout(box)
        self.endorsement_checks: dict[str, QCheckBox] = {}
        labels = {
            "basic": "basic — every payment",
            "cryptoCustody": "cryptoCustody — wallets",
            "usd": "usd — cash and bank legs",
        }
        for e in validation.ENDORSEMENTS:
            cb = QCheckBox(labels[e])
            cb.setObjectName(f"endorsement:{e}")
            cb.setChecked(not self.edit_mode)
            v.addWidget(cb)
            self.endorsement_checks[e] = cb
        self.agreement = QCheckBox("Customer accepted the OMS terms (signed agreement)")
        self.agreement.setObjectName("field:signedAgreement")
        self.agreement.setChecked(not self.edit_mode)
        v.addWidget(self.agreement)
        return box

    def _prefill(self, c: models.Customer) -> None:
        raw = c.raw or {}
        for key in (
            "firstName",
            "middleName",
            "lastName",
            "email",
            "phone",
            "nationality",
            "externalId",
        ):
            w = self.fields[key]
            if isinstance(w, QLineEdit):
                w.setText(str(raw.get(key) or ""))
        for key in WRITE_ONLY:
            w = self.fields.get(key)
            if isinstance(w, QLineEdit):
                w.setPlaceholderText("unchanged (write-only)")
        for e in c.endorsements:
            cb = self.endorsement_checks.get(e.name)
            if cb is not None and str(e.status) not in ("INACTIVE", "UNKNOWN"):
                cb.setChecked(True)
                cb.setEnabled(False)  # PATCH adds endorsements, never removes
                cb.setToolTip(f"Already requested ({e.status})")
        if c.signed_agreement:
            self.agreement.setChecked(True)
            self.agreement.setEnabled(False)  # one-way
            self.agreement.setToolTip("A signed agreement cannot be withdrawn.")

    # ---- values and validation ----------------------------------------------------

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, w in self.fields.items():
            out[k] = w.currentData() if isinstance(w, QComboBox) else w.text()
        for e, cb in self.endorsement_checks.items():
            out[f"endorsements.{e}"] = cb.isChecked() and cb.isEnabled()
        out["signedAgreement"] = self.agreement.isChecked() and (
            self.agreement.isEnabled() or not self.edit_mode
        )
        return out

    def set_value(self, key: str, value: str) -> None:
        """Programmatic entry (tests): like typing, validation included."""
        w = self.fields[key]
        if isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        else:
            w.setText(value)
        self._on_edited(key)

    def _on_edited(self, key: str) -> None:
        self._touched.add(key)
        self._refresh_errors()

    def _refresh_errors(self) -> dict[str, str]:
        errs = validation.validate(self.values(), creating=not self.edit_mode)
        for key in self.fields:
            show = key in self._touched or self._attempted
            self.show_field_error(key, errs.get(key) if show else None)
        return errs

    def show_field_error(self, key: str, message: str | None) -> None:
        label = self.errors.get(key)
        w = self.fields.get(key)
        if label is None or w is None:
            return
        label.setText(message or "")
        label.setVisible(bool(message))
        w.setProperty("invalid", bool(message))
        w.style().unpolish(w)
        w.style().polish(w)

    def field_error(self, key: str) -> str:
        lab = self.errors.get(key)
        return lab.text() if lab is not None and lab.isVisibleTo(self) else ""

    # ---- submit -------------------------------------------------------------------

    def attempt_submit(self) -> None:
        if self.busy:
            return
        self._attempted = True
        self.banners.remove("error")
        errs = self._refresh_errors()
        if errs:
            first = next(iter(k for k in self.fields if k in errs))
            self.fields[first].setFocus()
            self.banners.set("error", "Please correct the highlighted fields.", "error")
            return
        values = self.values()
        if self.edit_mode:
            body = validation.build_patch_body(self.customer.raw or {}, values)
            if not body:
                self.banners.set("error", "Nothing changed.", "info")
                return
        else:
            body = validation.build_create_body(values)
        body_key = json.dumps(body, sort_keys=True)
        # One key per user attempt; a retry of the same body after a lost answer reuses it.
        if self._last_attempt is not None and self._last_attempt[0] == body_key:
            key = self._last_attempt[1]
        else:
            key = str(uuid.uuid4())
        self._last_attempt = (body_key, key)
        # Busy at once: a second click cannot submit.
        self.op(lambda: self.submit_fn(body, key), "customer.submit").success(self._saved).failure(
            self._refused
        ).run()

    def _refused(self, e: BaseException) -> None:
        assert isinstance(e, errors.OmsError)
        if not isinstance(e, errors.NetworkError):
            self._last_attempt = None  # the server answered: a new attempt gets a new key
        field = validation.field_for_param(e.param, list(self.fields))
        if field is not None:
            self.show_field_error(field, str(e))
            self.fields[field].setFocus()
            self.banners.set("error", f"The server did not accept {field}: {e}", "error")
        else:
            self.banners.set(
                "error",
                f"{e}" + (f"  ({e.code})" if e.code else ""),
                "error",
                [("Retry", self.attempt_submit)],
            )

    def _saved(self, customer: models.Customer) -> None:
        self.result_customer = customer
        self.saved.emit(customer)
        self.accept()


# ------------------------------------------------------------------------------ wallet


class NewWalletDialog(ScopedDialog):
    """Create a USDC wallet on Polygon for a customer (needs cryptoCustody)."""

    created = Signal(object)  # Wallet

    def __init__(
        self,
        customer: models.Customer,
        create: Callable[[str], Awaitable[models.Wallet]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.customer = customer
        self.create_fn = create
        self.result_wallet: models.Wallet | None = None
        self._key = str(uuid.uuid4())
        self.setWindowTitle("New wallet")
        lay = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Customer", QLabel(f"{customer.display_name}  ({customer.id})"))
        form.addRow("Asset", QLabel("USDC"))
        form.addRow("Chain", QLabel("Polygon"))
        lay.addLayout(form)
        lay.addStretch(1)
        lay.addWidget(self.banners)
        custody = customer.endorsement("cryptoCustody")
        if custody is not None and not custody.is_active:
            self.banners.set(
                "hint",
                f"cryptoCustody is {custody.status}: the server will refuse a wallet until it "
                "is ACTIVE.",
                "warning",
                closable=False,
            )
        lay.addWidget(self.progress)
        self.buttons = QDialogButtonBox()
        self.create_button = self.buttons.addButton(
            "Create wallet", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.create_button.setObjectName("createWalletButton")
        self.create_button.setDefault(True)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.busy_widgets = (self.create_button,)
        self.create_button.clicked.connect(self.attempt_create)
        cancel.clicked.connect(self.reject)
        lay.addWidget(self.buttons)

    def attempt_create(self) -> None:
        if self.busy:
            return
        self.banners.remove("error")
        key = self._key
        self.op(lambda: self.create_fn(key), "wallet.create").success(self._created).failure(
            self._refused
        ).run()

    def _refused(self, e: BaseException) -> None:
        if not isinstance(e, errors.NetworkError):
            self._key = str(uuid.uuid4())
        self.banners.set("error", str(e), "error", [("Retry", self.attempt_create)])

    def _created(self, wallet: models.Wallet) -> None:
        self.result_wallet = wallet
        self.created.emit(wallet)
        self.accept()


# ------------------------------------------------------------------------ resource view


class ResourceDialog(QDialog):
    """Every field of a resource (its JSON), as a tree, with Copy JSON."""

    def __init__(self, title: str, raw: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setObjectName("resourceDialog")
        theme.style_widget(self)
        self.raw = raw
        lay = QVBoxLayout(self)
        head = QLabel(title)
        head.setProperty("role", "heading")
        lay.addWidget(head)
        self.tree = QTreeWidget()
        self.tree.setAccessibleName(f"Fields of {title}")
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels(["Field", "Value"])
        self.tree.setAlternatingRowColors(True)
        _fill(self.tree.invisibleRootItem(), raw)
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)
        lay.addWidget(self.tree, 1)
        row = QHBoxLayout()
        copy = QPushButton("&Copy JSON")
        theme.set_icon(copy, "copy")
        copy.setAutoDefault(False)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(json.dumps(raw, indent=2)))
        row.addWidget(copy)
        row.addStretch(1)
        close = QPushButton("C&lose")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        row.addWidget(close)
        lay.addLayout(row)
        self.resize(620, 520)

    def field_value(self, path: str) -> str | None:
        """The text shown for a dotted path (tests)."""
        item = self.tree.invisibleRootItem()
        for part in path.split("."):
            found = None
            for i in range(item.childCount()):
                if item.child(i).text(0) == part:
                    found = item.child(i)
                    break
            if found is None:
                return None
            item = found
        return item.text(1)


def _fill(parent: QTreeWidgetItem, value: Any) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for k, v in items:
        it = QTreeWidgetItem(parent, [str(k), ""])
        if isinstance(v, dict | list):
            if not v:
                it.setText(1, "{}" if isinstance(v, dict) else "[]")
            _fill(it, v)
        else:
            it.setText(
                1, "null" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            )
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsSelectable)

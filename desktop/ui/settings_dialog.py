"""Settings: connection profiles (add / edit / test connection / remove / use).

Profiles (name, kind, URL) go to the profiles file; API key and secret only to the
SecretStore (keyring, or memory for this session when no keyring is usable).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.config import (
    KIND_LABELS,
    OMS_PRODUCTION_URL,
    OMS_SANDBOX_URL,
    TRUSTED_LAN_WARNING,
    Profile,
    ProfileError,
    ProfileKind,
    ProfileStore,
)
from desktop.secrets import ApiKeyPair, SecretStore
from desktop.ui import theme
from desktop.ui.dialogs import ScopedDialog

log = logging.getLogger(__name__)

Tester = Callable[[Profile, ApiKeyPair | None], Awaitable[str]]


class SettingsDialog(ScopedDialog):
    switch_requested = Signal(str)  # profile name
    profiles_changed = Signal()

    def __init__(
        self,
        store: ProfileStore,
        secrets: SecretStore,
        tester: Tester,
        *,
        current: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.secrets = secrets
        self.tester = tester
        self.current = current
        self.setWindowTitle("Settings — connection profiles")
        self.setObjectName("settingsDialog")
        self._editing: str | None = None  # name of the profile in the form (None = new)

        outer = QVBoxLayout(self)
        outer.addWidget(self.banners)
        if not secrets.persistent:
            self.banners.set(
                "keyring",
                "No system keyring is available: API secrets are kept in memory for this "
                "session only and must be entered again next time.",
                "warning",
                closable=False,
                icon_name="key",
            )
        row = QHBoxLayout()
        outer.addLayout(row, 1)

        left = QVBoxLayout()
        self.list = QListWidget()
        self.list.setObjectName("profileList")
        self.list.setAccessibleName("Connection profiles")
        self.list.setMinimumWidth(200)
        self.list.currentItemChanged.connect(self._on_select)
        left.addWidget(self.list, 1)
        lb = QHBoxLayout()
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        for b in (self.add_button, self.remove_button):
            b.setAutoDefault(False)
            lb.addWidget(b)
        self.add_button.clicked.connect(self.new_profile)
        self.remove_button.clicked.connect(self.remove_selected)
        left.addLayout(lb)
        row.addLayout(left)

        right = QVBoxLayout()
        form = QFormLayout()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("profileName")
        form.addRow("Name", self.name_edit)
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("profileKind")
        for k in ProfileKind:
            self.kind_combo.addItem(KIND_LABELS[k], str(k))
        self.kind_combo.currentIndexChanged.connect(self._on_kind)
        form.addRow("Kind", self.kind_combo)
        self.url_edit = QLineEdit()
        self.url_edit.setObjectName("profileUrl")
        self.url_edit.setPlaceholderText("https://host/v0.9")
        form.addRow("Base URL", self.url_edit)
        self.production_check = QCheckBox("Production (moves real money; https required)")
        self.production_check.setObjectName("profileProduction")
        form.addRow("", self.production_check)
        self.trusted_lan_check = QCheckBox("Trusted LAN (allow plain http:// to this server)")
        self.trusted_lan_check.setObjectName("profileTrustedLan")
        self.trusted_lan_check.toggled.connect(self._warn_lan)
        self.url_edit.textChanged.connect(self._warn_lan)
        form.addRow("", self.trusted_lan_check)
        self.key_edit = QLineEdit()
        self.key_edit.setObjectName("profileApiKey")
        self.key_edit.setPlaceholderText("sk_sdbx_… or sk_live_…")
        form.addRow("API key", self.key_edit)
        self.secret_edit = QLineEdit()
        self.secret_edit.setObjectName("profileApiSecret")
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("API secret", self.secret_edit)
        self.form_error = QLabel()
        self.form_error.setProperty("role", "fieldError")
        self.form_error.setWordWrap(True)
        form.addRow("", self.form_error)
        right.addLayout(form)

        tb = QHBoxLayout()
        self.save_button = QPushButton("Save profile")
        self.save_button.setObjectName("saveProfile")
        self.test_button = QPushButton("Test connection")
        self.test_button.setObjectName("testConnection")
        self.use_button = QPushButton("Use this profile")
        self.busy_widgets = (self.save_button, self.test_button, self.use_button)
        self.use_button.setObjectName("useProfile")
        for b in (self.save_button, self.test_button, self.use_button):
            b.setAutoDefault(False)
            tb.addWidget(b)
        self.save_button.clicked.connect(self.save_current)
        self.test_button.clicked.connect(self.test_current)
        self.use_button.clicked.connect(self.use_current)
        right.addLayout(tb)
        self.test_result = QLabel()
        self.test_result.setObjectName("testResult")
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.test_result.setAccessibleName("Connection test result")
        right.addWidget(self.test_result)
        right.addWidget(self.progress)
        right.addStretch(1)
        row.addLayout(right, 1)

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        outer.addWidget(close)
        self._reload_list(select=current)
        self.resize(720, 420)

    # ---- list -------------------------------------------------------------------

    def _reload_list(self, select: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for p in self.store.profiles:
            label = p.name + ("  (in use)" if p.name == self.current else "")
            it = QListWidgetItem(theme.icon("key"), label)
            it.setData(Qt.ItemDataRole.UserRole, p.name)
            self.list.addItem(it)
        self.list.blockSignals(False)
        names = self.store.names()
        if select in names:
            self.list.setCurrentRow(names.index(select))
        elif names:
            self.list.setCurrentRow(0)
        else:
            self.new_profile()

    def _on_select(self, item: QListWidgetItem | None, _prev=None) -> None:
        if item is None:
            return
        p = self.store.get(item.data(Qt.ItemDataRole.UserRole))
        if p is not None:
            self._load_form(p)

    def _load_form(self, p: Profile) -> None:
        self._editing = p.name
        self.name_edit.setText(p.name)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(str(p.kind))))
        self.url_edit.setText(p.url)
        self.production_check.setChecked(p.production)
        self.trusted_lan_check.setChecked(p.trusted_lan)
        self.key_edit.clear()
        self.secret_edit.clear()
        self.secret_edit.setPlaceholderText("")
        self.form_error.clear()
        self.test_result.clear()
        self._on_kind()
        if p.needs_credentials:
            self.scope.spawn(self._load_key(p.name), name="settings.load_key")

    async def _load_key(self, name: str) -> None:
        pair = await self.secrets.get(name)
        if self._editing != name:
            return
        if pair is not None:
            self.key_edit.setText(pair.api_key)
            self.secret_edit.setPlaceholderText("stored — leave empty to keep")
        else:
            self.secret_edit.setPlaceholderText("not stored yet")

    def new_profile(self) -> None:
        self._editing = None
        self.list.clearSelection()
        self.name_edit.setText(self._unique_name("New profile"))
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(str(ProfileKind.OMS_SANDBOX)))
        self.url_edit.clear()
        self.production_check.setChecked(False)
        self.trusted_lan_check.setChecked(False)
        self.key_edit.clear()
        self.secret_edit.clear()
        self.secret_edit.setPlaceholderText("")
        self.form_error.clear()
        self.test_result.clear()
        self._on_kind()
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _unique_name(self, base: str) -> str:
        name, i = base, 2
        while self.store.get(name) is not None:
            name, i = f"{base} {i}", i + 1
        return name

    def _on_kind(self, _i: int = 0) -> None:
        kind = ProfileKind(self.kind_combo.currentData())
        custom = kind is ProfileKind.CUSTOM
        team = kind is ProfileKind.TEAM_SANDBOX
        self.url_edit.setEnabled(custom or team)
        self.production_check.setVisible(custom)
        self.trusted_lan_check.setVisible(team)
        if kind is ProfileKind.OMS_SANDBOX:
            self.url_edit.setText(OMS_SANDBOX_URL)
        elif kind is ProfileKind.OMS_PRODUCTION:
            self.url_edit.setText(OMS_PRODUCTION_URL)
        elif kind is ProfileKind.EMBEDDED:
            self.url_edit.setText("(started by OMS Desk on this computer)")
        elif not self.url_edit.text().startswith("http"):
            self.url_edit.clear()
        needs = kind is not ProfileKind.EMBEDDED
        self.key_edit.setEnabled(needs)
        self.secret_edit.setEnabled(needs)
        self._warn_lan()

    def _warn_lan(self, *_args) -> None:
        """A team sandbox over plain http beyond this computer: the warning stays up."""
        p = self.form_profile()
        if p.insecure_http and p.trusted_lan:
            self.banners.set("trusted-lan", TRUSTED_LAN_WARNING, "warning", closable=False)
        else:
            self.banners.remove("trusted-lan")

    def form_profile(self) -> Profile:
        kind = ProfileKind(self.kind_combo.currentData())
        own_url = kind in (ProfileKind.CUSTOM, ProfileKind.TEAM_SANDBOX)
        return Profile(
            name=self.name_edit.text().strip(),
            kind=kind,
            base_url=self.url_edit.text().strip() if own_url else "",
            production=self.production_check.isChecked() if kind is ProfileKind.CUSTOM else False,
            trusted_lan=kind is ProfileKind.TEAM_SANDBOX and self.trusted_lan_check.isChecked(),
        )

    # ---- actions ------------------------------------------------------------------

    def save_current(self) -> None:
        self.op(self._save, "settings.save").run()  # refused while busy: no double submit

    async def _save(self) -> bool:
        self.form_error.clear()
        try:
            p = self.form_profile().validate()
            self.store.upsert(p, old_name=self._editing)
        except ProfileError as e:
            self.form_error.setText(str(e))
            return False
        old = self._editing
        if old and old != p.name:
            await self.secrets.rename(old, p.name)
        key, secret = self.key_edit.text().strip(), self.secret_edit.text()
        if p.needs_credentials and (key or secret):
            existing = await self.secrets.get(p.name)
            pair = ApiKeyPair(
                key or (existing.api_key if existing else ""),
                secret or (existing.api_secret if existing else ""),
            )
            if not pair.api_key or not pair.api_secret:
                self.form_error.setText("Enter both the API key and the API secret.")
                return False
            stored = await self.secrets.set(p.name, pair)
            if not stored:
                self.banners.set(
                    "keyring",
                    "No system keyring: the secret is kept in memory for this session only.",
                    "warning",
                    closable=False,
                    icon_name="key",
                )
        self.store.save()
        self.secret_edit.clear()
        self._editing = p.name
        self._reload_list(select=p.name)
        self.profiles_changed.emit()
        self.test_result.setText("Saved.")
        return True

    def remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None or self.busy:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        self.store.remove(name)
        self.store.save()
        self.scope.spawn(self.secrets.delete(name), name="settings.delete_secret")
        self._reload_list()
        self.profiles_changed.emit()

    def test_current(self) -> None:
        self.op(self._test, "settings.test").run()  # refused while busy: no double submit

    async def _test(self) -> None:
        self.test_result.clear()
        try:
            p = self.form_profile().validate()
        except ProfileError as e:
            self.form_error.setText(str(e))
            return
        pair = None
        if p.needs_credentials:
            key, secret = self.key_edit.text().strip(), self.secret_edit.text()
            stored = await self.secrets.get(self._editing) if self._editing else None
            key = key or (stored.api_key if stored else "")
            secret = secret or (stored.api_secret if stored else "")
            if not key or not secret:
                self._show_test(False, "Enter the API key and secret first.")
                return
            pair = ApiKeyPair(key, secret)
        try:
            message = await self.tester(p, pair)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            self._show_test(False, str(e) or type(e).__name__)
            return
        self._show_test(True, message)

    def _show_test(self, ok: bool, message: str) -> None:
        c = theme.colors()
        color = c.success[1] if ok else c.error[1]
        self.test_result.setProperty("ok", ok)
        self.test_result.setStyleSheet(f"color: {color};")
        self.test_result.setText(("✓ " if ok else "✗ ") + message)

    def use_current(self) -> None:
        self.op(self._use, "settings.use").run()  # refused while busy: no double submit

    async def _use(self) -> None:
        if await self._save():
            # The application records the choice once it is made (production asks first).
            self.switch_requested.emit(self.name_edit.text().strip())
            self.accept()

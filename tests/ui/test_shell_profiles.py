"""Profiles and secrets: settings dialog (add / test / use / remove), keyring fallback
with its banner, production demands https, and no secret ever lands in a file."""

from __future__ import annotations

import os
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QApplication

from desktop.app import DeskApp
from desktop.config import Profile, ProfileKind, ProfileStore
from desktop.secrets import ApiKeyPair, SecretStore
from tests.support.qt import run


def _files_text(*dirs: Path) -> str:
    out = []
    for d in dirs:
        for p in Path(d).rglob("*"):
            if p.is_file():
                out.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


@pytest.fixture
def desk(qtbot, desk_home, ui_loop, demo_sandbox):
    """The app with a saved custom profile pointing at the demo sandbox."""
    store = ProfileStore.load(desk_home.profiles_file)
    store.upsert(Profile("Local", ProfileKind.CUSTOM, base_url=demo_sandbox.base_url))
    store.active = "Local"
    store.save()
    d = DeskApp(QApplication.instance(), desk_home)
    run(qtbot, d.secrets.set("Local", ApiKeyPair(demo_sandbox.api_key, demo_sandbox.api_secret)))
    task = ui_loop.create_task(d.amain())
    yield d
    d.window.close()
    qtbot.waitUntil(task.done, timeout=30000)
    assert task.result() == 0
    d.window.deleteLater()


def test_saved_profile_opens_with_keyring_secret(qtbot, desk, memory_keyring, demo_sandbox):
    qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=20000)
    assert desk.window.windowTitle() == "OMS Desk — Local — SANDBOX"
    assert ("oms-desk", "Local") in memory_keyring.data  # the secret went to the keyring
    assert not desk.window.banners.has("keyring")


def test_settings_add_test_use_and_remove_profile(qtbot, desk, demo_sandbox, memory_keyring):
    qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=20000)
    desk.open_settings()
    dlg = desk.window.settings_dialog
    dlg.new_profile()
    dlg.name_edit.setText("Second")
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("custom"))
    dlg.url_edit.setText(demo_sandbox.base_url)
    dlg.key_edit.setText(demo_sandbox.api_key)
    dlg.secret_edit.setText("wrong-secret")
    dlg.test_current()
    qtbot.waitUntil(lambda: dlg.test_result.text() != "" and not dlg.busy, timeout=15000)
    assert dlg.test_result.text().startswith("✗") and "rejected" in dlg.test_result.text()
    dlg.secret_edit.setText(demo_sandbox.api_secret)
    dlg.test_current()
    qtbot.waitUntil(lambda: dlg.test_result.text().startswith("✓"), timeout=15000)
    assert "token issued" in dlg.test_result.text()

    # Production demands https.
    dlg.production_check.setChecked(True)
    dlg.save_current()
    qtbot.waitUntil(lambda: "https" in dlg.form_error.text(), timeout=5000)
    assert desk.store.get("Second") is None
    dlg.production_check.setChecked(False)

    # Use it: saved, secret in the keyring, window reloads on the new profile.
    dlg.use_current()
    qtbot.waitUntil(
        lambda: desk.window.profile_name == "Second" and desk.window.model.rowCount() > 0,
        timeout=20000,
    )
    assert desk.store.get("Second") is not None
    assert ("oms-desk", "Second") in memory_keyring.data
    assert desk.window.windowTitle().endswith("— SANDBOX")
    assert desk.session.profile.name == "Second"

    # Remove it again (and its secret).
    desk.open_settings()
    dlg = desk.window.settings_dialog
    dlg.list.setCurrentRow(desk.store.names().index("Second"))
    dlg.remove_selected()
    qtbot.waitUntil(lambda: ("oms-desk", "Second") not in memory_keyring.data, timeout=5000)
    assert "Second" not in ProfileStore.load(desk.paths.profiles_file).names()
    dlg.reject()

    # Nothing secret in the config, data or log files.
    text = _files_text(desk.paths.config_dir, desk.paths.log_dir)
    assert demo_sandbox.api_secret not in text
    assert "wrong-secret" not in text
    assert os.stat(desk.paths.profiles_file).st_mode & 0o077 == 0
    assert os.stat(desk.paths.log_file).st_mode & 0o077 == 0


def test_keyring_fallback_keeps_secrets_in_memory_with_a_banner(
    qtbot, desk_home, ui_loop, demo_sandbox
):
    keyring.set_keyring(fail.Keyring())  # what a headless Linux without a backend gives
    store = ProfileStore.load(desk_home.profiles_file)
    store.upsert(Profile("Mem", ProfileKind.CUSTOM, base_url=demo_sandbox.base_url))
    store.active = "Mem"
    store.save()
    secrets = SecretStore()
    d = DeskApp(QApplication.instance(), desk_home, secrets=secrets)
    stored = run(
        qtbot, secrets.set("Mem", ApiKeyPair(demo_sandbox.api_key, demo_sandbox.api_secret))
    )
    assert stored is False and not secrets.persistent
    task = ui_loop.create_task(d.amain())
    qtbot.waitUntil(lambda: d.window.model.rowCount() > 0, timeout=20000)
    banner = d.window.banners.get("keyring")
    assert banner is not None and not banner.closable
    assert "in memory" in banner.text
    # It still works for the session, and nothing was written anywhere.
    assert run(qtbot, secrets.get("Mem")).api_secret == demo_sandbox.api_secret
    d.window.close()
    qtbot.waitUntil(task.done, timeout=30000)
    text = _files_text(desk_home.config_dir, desk_home.data_dir, desk_home.log_dir)
    assert demo_sandbox.api_secret not in text
    assert "session open: Mem" in text  # the log file is there and was grepped
    d.window.deleteLater()


def test_missing_credentials_show_a_settings_banner(qtbot, desk_home, ui_loop, demo_sandbox):
    store = ProfileStore.load(desk_home.profiles_file)
    store.upsert(Profile("Prod", ProfileKind.OMS_PRODUCTION))
    store.active = "Prod"
    store.save()
    d = DeskApp(QApplication.instance(), desk_home)
    task = ui_loop.create_task(d.amain())
    qtbot.waitUntil(lambda: d.window.banners.has("session"), timeout=10000)
    w = d.window
    qtbot.waitUntil(lambda: "No API key" in w.banners.get("session").text, timeout=10000)
    assert w.windowTitle() == "OMS Desk — Prod — PRODUCTION"
    assert w.badge.text() == "PRODUCTION"
    assert "Settings…" in w.banners.get("session").buttons
    assert not w.new_customer_action.isEnabled()
    w.close()
    qtbot.waitUntil(task.done, timeout=30000)
    w.deleteLater()


def test_switching_into_production_asks_first_and_shows_a_strip(qtbot, desk):
    from PySide6.QtWidgets import QMessageBox

    qtbot.waitUntil(lambda: desk.window.model.rowCount() > 0, timeout=20000)
    w = desk.window
    assert not w.production_strip.isVisible()
    desk.store.upsert(
        Profile(
            "Live", ProfileKind.CUSTOM, base_url="https://pay.example.com/v0.9", production=True
        )
    )
    desk.store.save()
    desk.switch_profile("Live")  # one click is not enough
    box = w.last_confirmation
    assert box.isVisible() and "PRODUCTION" in box.text()
    assert w.profile_name == "Local" and desk.session.profile.name == "Local"
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert w.profile_name == "Local" and not w.production_strip.isVisible()
    assert ProfileStore.load(desk.paths.profiles_file).active == "Local"

    desk.switch_profile("Live")
    box = w.last_confirmation
    go = next(b for b in box.buttons() if b.text().replace("&", "") == "Switch to production")
    go.click()
    qtbot.waitUntil(lambda: w.profile_name == "Live", timeout=10000)
    assert ProfileStore.load(desk.paths.profiles_file).active == "Live"
    assert w.production_strip.isVisible() and "PRODUCTION" in w.production_strip.text()
    assert w.badge.text() == "PRODUCTION"
    qtbot.waitUntil(lambda: w.banners.has("session"), timeout=10000)  # no key stored yet


def test_profile_form_uses_the_one_loopback_rule(qtbot, desk):
    desk.open_settings()
    dlg = desk.window.settings_dialog
    dlg.new_profile()
    dlg.name_edit.setText("Evil")
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("custom"))
    dlg.url_edit.setText("http://127.evil.example/v0.9")  # a DNS name, not this computer
    dlg.save_current()
    qtbot.waitUntil(lambda: dlg.form_error.text() != "", timeout=5000)
    assert desk.store.get("Evil") is None
    dlg.url_edit.setText("http://127.0.0.1:8080/v0.9")
    dlg.save_current()
    qtbot.waitUntil(lambda: desk.store.get("Evil") is not None, timeout=5000)
    dlg.reject()


def test_team_sandbox_profile_https_or_trusted_lan_with_a_banner(qtbot, desk, demo_sandbox):
    """Team sandbox kind (D24): http to a LAN host is refused until 'Trusted LAN' is ticked,
    and then a warning stays up; over loopback it connects like any sandbox."""
    desk.open_settings()
    dlg = desk.window.settings_dialog
    dlg.new_profile()
    dlg.name_edit.setText("Team")
    dlg.kind_combo.setCurrentIndex(dlg.kind_combo.findData("team-sandbox"))
    assert dlg.url_edit.isEnabled() and dlg.trusted_lan_check.isVisibleTo(dlg)
    dlg.url_edit.setText("http://192.168.1.20:8080/v0.9")
    dlg.save_current()
    qtbot.waitUntil(lambda: "https" in dlg.form_error.text(), timeout=5000)
    assert desk.store.get("Team") is None and not dlg.banners.has("trusted-lan")
    dlg.trusted_lan_check.setChecked(True)
    assert dlg.banners.has("trusted-lan")  # up as long as the form shows such a profile
    dlg.save_current()
    qtbot.waitUntil(lambda: desk.store.get("Team") is not None, timeout=5000)
    assert desk.store.get("Team").trusted_lan and dlg.banners.has("trusted-lan")
    # Over loopback no toggle and no warning: it connects with the team's key and secret.
    dlg.trusted_lan_check.setChecked(False)
    dlg.url_edit.setText(demo_sandbox.base_url)
    assert not dlg.banners.has("trusted-lan")
    dlg.key_edit.setText(demo_sandbox.api_key)
    dlg.secret_edit.setText(demo_sandbox.api_secret)
    dlg.use_current()
    qtbot.waitUntil(
        lambda: desk.window.profile_name == "Team" and desk.window.model.rowCount() > 0,
        timeout=20000,
    )
    assert not desk.window.banners.has("trusted-lan")
    assert desk.window.windowTitle().endswith("— SANDBOX")

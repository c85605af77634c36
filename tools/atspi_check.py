"""What a screen reader sees, checked from outside the app over AT-SPI (issue 14, item 6).

    dbus-run-session -- xvfb-run -a python3 -m tools.atspi_check

runs the real app on a temporary embedded demo sandbox with Qt's AT-SPI bridge on, steps it
through its windows (Customers with a story open, Transactions, every Developers pane,
Settings, Receive, the Send / Withdraw / Fund wizards) and, for each, lets a second process
— the system Python with ``gir1.2-atspi-2.0`` (``python3-gi``), the app's Python need not
have it — walk the accessibility tree: focusable objects that are showing, and those of them
with no name. Prints one line per window and the totals; exits 1 if any is unnamed.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = "/usr/libexec/at-spi-bus-launcher"


# ---- the walker (system Python, no project imports) ---------------------------------------
def walk(handshake: Path, app_pid: int) -> int:
    import gi

    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi  # type: ignore[attr-defined]

    Atspi.init()
    S = Atspi.StateType

    def app_node():
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            a = desktop.get_child_at_index(i)
            if a is not None and a.get_process_id() == app_pid:
                return a
        return None

    def visit(node, path, out, depth=0):
        if node is None or depth > 60:
            return
        try:
            states = node.get_state_set()
            role = node.get_role_name()
            name = (node.get_name() or "").strip()
            n = node.get_child_count()
        except Exception:
            return
        if states.contains(S.SHOWING) and states.contains(S.FOCUSABLE):
            out["focusable"] += 1
            if not name:
                out["unnamed"].append(f"{role} in {path}")
        if role in ("table cell", "list item", "tree item"):
            return  # cells of a named table: their text is the data
        for i in range(min(n, 300)):
            try:
                child = node.get_child_at_index(i)
            except Exception:
                continue
            visit(child, f"{path}/{role}:{name[:30]}" if name else f"{path}/{role}", out, depth + 1)

    results = []
    state_file, ack_file = handshake / "state", handshake / "ack"
    seen = ""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        state = state_file.read_text() if state_file.exists() else ""
        if not state or state == seen:
            time.sleep(0.1)
            continue
        seen = state
        if state == "end":
            break
        app = None
        for _ in range(50):
            app = app_node()
            if app is not None:
                break
            time.sleep(0.2)
        out = {"window": state, "focusable": 0, "unnamed": []}
        if app is not None:
            for i in range(app.get_child_count()):
                win = app.get_child_at_index(i)
                if win is not None and win.get_state_set().contains(S.SHOWING):
                    visit(win, win.get_name() or win.get_role_name(), out)
        results.append(out)
        ack_file.write_text(state)
    (handshake / "result.json").write_text(json.dumps(results))
    return 0


# ---- the app side ---------------------------------------------------------------------------
async def _step(handshake: Path, name: str) -> None:
    await asyncio.sleep(0.5)  # qasync runs Qt's events meanwhile (no processEvents here)
    (handshake / "state").write_text(name)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        ack = handshake / "ack"
        if ack.exists() and ack.read_text() == name:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the AT-SPI walker did not answer for {name}")


def _tour(handshake: Path):
    async def tour(desk, _out: Path, _mode: str) -> None:
        from tools.screenshots import _until

        w = desk.window
        try:
            await _until(lambda: w.detail.customer is not None and not w.detail.loading)
            d = w.detail
            await _until(lambda: d.tx_model.rowCount() > 0 and bool(d.cards), 15)
            d.tx_view.selectRow(0)
            await _step(handshake, "main window: Customers")
            view = w.transactions_view
            w.tabs.setCurrentWidget(view)
            await _until(lambda: view.model.rowCount() > 0, 15)
            view.table.selectRow(0)
            await _step(handshake, "main window: Transactions")
            dev = w.developers_view
            w.tabs.setCurrentWidget(dev)
            await _until(lambda: dev.built, 10)
            for j in range(dev.tabs.count()):
                dev.tabs.setCurrentIndex(j)
                await _step(handshake, f"Developers › {dev.tabs.tabText(j)}")
            w.tabs.setCurrentWidget(w.customers_page)
            desk.open_settings()
            await _step(handshake, "Settings")
            w.settings_dialog.close()
            customer, wallet = d.customer, d.wallets[0]
            dlg = w.open_receive(customer, wallet)
            await _step(handshake, "Receive")
            dlg.close()
            for kind in ("send", "withdraw", "fund"):
                wiz = w._wizard(kind, customer, wallet)
                await _step(handshake, f"{kind.capitalize()} wizard, first page")
                wiz.reject()
        finally:
            (handshake / "state").write_text("end")
            desk.request_quit()

    return tour


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["walk"]:
        return walk(Path(argv[1]), int(argv[2]))
    handshake = Path(tempfile.mkdtemp(prefix="oms-desk-atspi-"))
    bus = subprocess.Popen([BUS_LAUNCHER, "--launch-immediately"])
    os.environ["QT_LINUX_ACCESSIBILITY_ALWAYS_ON"] = "1"
    os.environ["QT_ACCESSIBILITY"] = "1"
    walker = subprocess.Popen(
        [SYSTEM_PYTHON, str(Path(__file__).resolve()), "walk", str(handshake), str(os.getpid())]
    )
    try:
        from tools.screenshots import run_and_shoot

        run_and_shoot(_tour(handshake), [str(handshake / "shots")], prefix="oms-desk-atspi-")
        walker.wait(60)
    finally:
        if walker.poll() is None:
            walker.kill()
        bus.terminate()
        bus.wait(10)
    results = json.loads((handshake / "result.json").read_text())
    total = sum(r["focusable"] for r in results)
    unnamed = sum(len(r["unnamed"]) for r in results)
    for r in results:
        print(f"{r['window']:40} focusable {r['focusable']:4}  unnamed {len(r['unnamed'])}")
        for u in r["unnamed"]:
            print(f"    unnamed: {u}")
    print(f"{'total':40} focusable {total:4}  unnamed {unnamed}")
    return 1 if unnamed else 0


if __name__ == "__main__":
    sys.exit(main())

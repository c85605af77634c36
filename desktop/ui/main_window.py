"""The main window: customers table + detail, search, go-to, banners, menus.

The window knows nothing about where the server runs. The application hands it the
profile's ``Session`` (``set_session``): client, tracker, outbox, scope and change hub.
Its tabs (Customers, Transactions) and the wizards are built here, explicitly; every
background call runs through ``Op``; notices of the session's hub (a refusal after its
wizard closed, a failed transaction, a resumed result) appear in the banner area.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QRect,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from desktop import __version__
from desktop.config import TRUSTED_LAN_WARNING
from desktop.display import plural
from desktop.oms import errors, models
from desktop.tasks import TaskScope
from desktop.ui import theme
from desktop.ui.connectivity import ConnectionMonitor
from desktop.ui.customer_detail import CustomerDetail
from desktop.ui.customers import (
    ENDORSEMENTS_MAX,
    ROLE_OBJECT,
    SEARCH_MODES,
    ColumnFitter,
    CustomersModel,
    LoadingRows,
    NameFilterProxy,
    customers_fetch,
    detect_search_mode,
)
from desktop.ui.goto import GoToBox, NavHistory, Target, parse_target
from desktop.ui.hub import ChangeHub, Changes, Notice
from desktop.ui.op import Op, error_text
from desktop.ui.session import Session
from desktop.ui.widgets import mnemonics
from desktop.ui.widgets.badge import EnvironmentBadge
from desktop.ui.widgets.banner import BannerArea
from desktop.ui.widgets.placeholder import fit_placeholder

if TYPE_CHECKING:  # the dialogs and wizards are imported when first opened (start-up)
    from desktop.ui.developers import DevelopersView
    from desktop.ui.dialogs import CustomerFormDialog, NewWalletDialog, ResourceDialog
    from desktop.ui.transactions import TransactionsView
    from desktop.ui.wizards.receive import ReceiveDialog

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_MS = 250  # the customers search runs once typing pauses this long
#: Start-up is over this long after a session is set even if no customer row was painted
#: (an empty list, an error, another tab in front, a minimised window).
START_UP_FALLBACK_MS = 1000


class _FirstRowsPainted(QObject):
    """Tells the window once its customers table has painted rows (start-up is over)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint and self._window.model.rowCount() > 0:
            obj.removeEventFilter(self)
            # after this paint has finished (a benchmark's probe, installed later, first)
            QTimer.singleShot(0, self._window, self._window.end_start_up)
        return False


class MainWindow(QMainWindow):
    closed = Signal()
    settings_requested = Signal()
    profile_switch_requested = Signal(str)
    theme_changed = Signal(str)
    #: Once: the first customer rows are on screen (or START_UP_FALLBACK_MS passed).
    start_up_over = Signal()

    def __init__(
        self,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
        *,
        profile_names: Callable[[], list[str]] = list,
    ) -> None:
        super().__init__(parent)
        self.profile_names = profile_names
        self.setObjectName("mainWindow")
        self.setWindowIcon(theme.app_icon())
        self.settings = settings or QSettings()
        self.scope = TaskScope("main-window")
        self.session: Session | None = None
        self._listening: ChangeHub | None = None  # the hub whose signals reach this window
        self._transactions_view: TransactionsView | None = None
        self._developers_view: DevelopersView | None = None
        #: tabs shown by name whose view is built when first needed: text → (page, build)
        self._lazy_tabs: dict[str, tuple[QWidget, Callable[[], QWidget]]] = {}
        self.started = False  # start-up is over (see end_start_up)
        self.api: Any = None
        self.profile_name = ""
        self.environment = "SANDBOX"
        self.is_sandbox = True
        self._ops: set[str] = set()
        self._extra_tabs: list[QWidget] = []
        self._pending_wallet_focus: str | None = None
        self._search_mode = "Name"
        self._server_filter: tuple[str, str] | None = None

        self.monitor = ConnectionMonitor(parent=self)
        self.monitor.went_offline.connect(self._on_offline)
        self.monitor.probe_failed.connect(self._on_probe_failed)
        self.monitor.came_online.connect(self._on_online)

        self._build_actions()
        self._build_toolbar()
        self._build_central()
        self._build_menus()
        self._build_statusbar()
        self._update_title()
        self._update_actions()
        self._restore_state()

    # ------------------------------------------------------------------ construction

    def _act(
        self, text: str, slot, shortcut=None, icon: str | None = None, name: str = ""
    ) -> QAction:
        a = QAction(text, self)
        if icon:
            theme.set_icon(a, icon)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(lambda _checked=False: slot())
        a.setObjectName(name or text)
        return a

    def _build_actions(self) -> None:
        self.new_customer_action = self._act(
            "&New customer…", self.new_customer, "Ctrl+N", "add-customer", "newCustomer"
        )
        self.edit_customer_action = self._act(
            "&Edit customer…", lambda: self.edit_customer(), "Ctrl+E", "edit", "editCustomer"
        )
        self.new_wallet_action = self._act(
            "New &wallet…", lambda: self.new_wallet(), "Ctrl+Shift+W", "add-wallet", "newWallet"
        )
        self.fund_action = self._act(
            "&Fund…", lambda: self._wizard_from_menu("fund"), "Ctrl+Shift+F", "fund", "fund"
        )
        self.send_action = self._act(
            "&Send…", lambda: self._wizard_from_menu("send"), "Ctrl+Shift+S", "send", "send"
        )
        self.withdraw_action = self._act(
            "&Withdraw to bank…",
            lambda: self._wizard_from_menu("withdraw"),
            "Ctrl+Shift+B",
            "withdraw",
            "withdraw",
        )
        self.back_action = self._act("&Back", self.go_back, "Alt+Left", None, "back")
        self.forward_action = self._act("F&orward", self.go_forward, "Alt+Right", None, "forward")
        self.shortcuts_action = self._act(
            "&Keyboard shortcuts", self.show_shortcuts, "F1", None, "shortcuts"
        )
        self.refresh_action = self._act("&Refresh", self.refresh, "F5", "refresh", "refresh")
        self.refresh_action.setShortcuts([QKeySequence("F5"), QKeySequence("Ctrl+R")])
        self.find_action = self._act(
            "&Find customer", self.focus_search, "Ctrl+F", "search", "find"
        )
        self.goto_action = self._act(
            "&Go to id or address", self.focus_goto, "Ctrl+L", "goto", "goto"
        )
        self.settings_action = self._act(
            "&Settings and profiles…",
            self.settings_requested.emit,
            "Ctrl+,",
            "settings",
            "settings",
        )
        self.quit_action = self._act("&Quit", self.close, "Ctrl+Q", "quit", "quit")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.about_action = self._act("&About OMS Desk", self.about, None, "info", "about")
        self.logs_action = self._act("Open &log folder", self.open_log_folder, None, None, "logs")
        for a in (
            self.new_customer_action,
            self.refresh_action,
            self.find_action,
            self.goto_action,
            self.quit_action,
            self.settings_action,
            self.edit_customer_action,
            self.new_wallet_action,
            self.fund_action,
            self.send_action,
            self.withdraw_action,
            self.back_action,
            self.forward_action,
            self.shortcuts_action,
        ):
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(a)
        self.history = NavHistory()

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        theme.style_widget(tb)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        # A tool button shows the icon text, which drops the menu's "&": give it its own.
        self.new_customer_action.setIconText("&New customer")
        self.refresh_action.setIconText("&Refresh")
        tb.addAction(self.new_customer_action)
        tb.addAction(self.refresh_action)
        tb.addSeparator()
        self.search_mode = QComboBox()
        self.search_mode.setObjectName("searchMode")
        self.search_mode.addItems(SEARCH_MODES)
        self.search_mode.setToolTip("Name filters the loaded rows; the others ask the server.")
        self.search_mode.currentTextChanged.connect(self._on_search_mode)
        tb.addWidget(self.search_mode)
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setClearButtonEnabled(True)
        theme.set_icon(
            self.search_box.addAction(QIcon(), QLineEdit.ActionPosition.LeadingPosition), "search"
        )
        fit_placeholder(self.search_box, "Search customers  (Ctrl+F)", "Search customers")
        self.search_box.setToolTip("Search customers (Ctrl+F)")
        self.search_box.setMinimumWidth(240)
        self.search_box.setAccessibleName("Search customers")
        self.search_box.textChanged.connect(self._on_search_text)
        self.search_box.returnPressed.connect(self.run_search)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DEBOUNCE_MS)
        self.search_timer.timeout.connect(self.run_search)
        tb.addWidget(self.search_box)
        tb.addSeparator()
        self.goto_box = GoToBox()
        self.goto_box.setAccessibleName("Go to id or wallet address")
        self.goto_box.target_requested.connect(self.go_to)
        self.goto_box.rejected_input.connect(
            lambda t: self.statusBar().showMessage(f"Not an id or address: {t}", 4000)
        )
        tb.addWidget(self.goto_box)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        tb.addWidget(spacer)
        self.profile_label = QLabel()
        self.profile_label.setObjectName("profileLabel")
        self.profile_label.setProperty("role", "muted")
        tb.addWidget(self.profile_label)
        self.badge = EnvironmentBadge()
        self.badge.setAccessibleName("Environment")
        tb.addWidget(self.badge)
        self.addToolBar(tb)
        self.toolbar = tb

    def _build_central(self) -> None:
        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        # A production session shows this strip across the window as well as the badge.
        self.production_strip = QLabel()
        self.production_strip.setObjectName("productionStrip")
        self.production_strip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.production_strip.setAccessibleName("Production environment")
        self.production_strip.setVisible(False)
        lay.addWidget(self.production_strip)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Views")
        self.tabs.setDocumentMode(True)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        lay.addWidget(self.tabs, 1)
        # Banners sit below the content: one appearing shrinks the tabs from below, so
        # nothing under the pointer moves (see widgets/banner.py for the policy).
        self.banners = BannerArea()
        self.banners.setObjectName("windowBanners")
        lay.addWidget(self.banners)

        self.customers_page = QWidget()
        cp = QVBoxLayout(self.customers_page)
        cp.setContentsMargins(0, 4, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("customersSplitter")
        self.splitter.setChildrenCollapsible(False)
        cp.addWidget(self.splitter)

        self.model = CustomersModel(self.scope, parent=self)
        self.proxy = NameFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("customersTable")
        # The view shows the model directly and the name-filter proxy only while a name
        # filter is typed: a proxy in between costs ~15 % of every paint (measured).
        self.table.setModel(self.model)
        self.table.setAccessibleName("Customers")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = self.table.verticalHeader()
        vh.setVisible(False)
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(26)
        hh = self.table.horizontalHeader()
        hh.setHighlightSections(False)
        hh.setStretchLastSection(True)
        for col, w in enumerate((140, 205, 85, 60, 105, 125)):
            self.table.setColumnWidth(col, w)
        # The Endorsements summary ("1 with issues, 1 pending, 1 active") is never cut.
        col = self.model.columns.index("Endorsements")
        self.endorsements_fit = ColumnFitter(self.table, self.model, col, ENDORSEMENTS_MAX)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.doubleClicked.connect(lambda _ix: self.edit_customer())
        self.splitter.addWidget(self.table)
        self.loading_rows = LoadingRows(self.table, self.model)  # until the first page
        self._first_rows_watch = _FirstRowsPainted(self)
        self.table.viewport().installEventFilter(self._first_rows_watch)

        self.detail = CustomerDetail()
        self.detail.setObjectName("customerDetail")
        self.detail.setAccessibleName("Customer")
        self.customers_page.setAccessibleName("Customers page")
        self.splitter.setAccessibleName("Customers and detail")
        self.detail.edit_requested.connect(self.edit_customer)
        self.detail.new_wallet_requested.connect(self.new_wallet)
        self.detail.fund_requested.connect(self.open_fund_wizard)
        self.detail.send_requested.connect(self.open_send_wizard)
        self.detail.withdraw_requested.connect(self.open_withdraw_wizard)
        self.detail.receive_requested.connect(self.open_receive)
        self.detail.transaction_activated.connect(self._open_customer_transaction)
        self.detail.network_error.connect(self.monitor.report)
        self.detail.customer_loaded.connect(self._on_detail_loaded)
        self.detail.loading_changed.connect(lambda _b: self._update_busy())
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([760, 600])
        self.tabs.addTab(self.customers_page, theme.icon("customer"), "Customers")
        self.setCentralWidget(central)

        self.model.loading_changed.connect(lambda _b: self._update_busy())
        self.model.error_changed.connect(self._on_model_error)
        self.model.page_loaded.connect(self._on_page_loaded)
        self.model.modelReset.connect(self._update_count)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu("&File")
        m.addAction(self.settings_action)
        self.profiles_menu = m.addMenu("Switch &profile")
        self.profiles_menu.aboutToShow.connect(self._fill_profiles_menu)
        m.addSeparator()
        m.addAction(self.quit_action)
        m = mb.addMenu("&Customer")
        for a in (self.new_customer_action, self.edit_customer_action, self.new_wallet_action):
            m.addAction(a)
        m.addSeparator()
        for a in (self.fund_action, self.send_action, self.withdraw_action):
            m.addAction(a)
        m = mb.addMenu("&View")
        m.addAction(self.refresh_action)
        m.addAction(self.find_action)
        m.addAction(self.goto_action)
        m.addAction(self.back_action)
        m.addAction(self.forward_action)
        m.addSeparator()
        tm = m.addMenu("&Theme")
        group = QActionGroup(self)
        current = str(self.settings.value("theme", "system"))
        for mode in ("system", "light", "dark"):
            a = QAction(mode.capitalize(), self, checkable=True)
            a.setChecked(mode == current)
            a.triggered.connect(lambda _c=False, md=mode: self.set_theme(md))
            group.addAction(a)
            tm.addAction(a)
        m = mb.addMenu("&Help")
        m.addAction(self.shortcuts_action)
        m.addAction(self.logs_action)
        m.addAction(self.about_action)

    def _build_statusbar(self) -> None:
        sb = self.statusBar()
        self.busy_bar = QProgressBar()
        self.busy_bar.setObjectName("busyIndicator")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setVisible(False)
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        sb.addPermanentWidget(self.count_label)
        sb.addPermanentWidget(self.busy_bar)

    # ------------------------------------------------------------------ session

    def set_session(self, session: Session) -> None:
        """Attach to a connected profile's session; build its tabs; follow its hub."""
        self.clear_session()
        self.session = session
        self.api = session.client
        profile = session.profile
        self.profile_name = profile.name
        self.environment = str(profile.environment)
        self.is_sandbox = bool(session.is_sandbox)
        self._update_title()
        self.detail.set_session(session)
        self.monitor.set_probe(session.probe)
        self.banners.remove("session")
        if profile.insecure_http:  # a team sandbox over plain http on a trusted LAN
            self.banners.set("trusted-lan", TRUSTED_LAN_WARNING, "warning", closable=False)
        else:
            self.banners.remove("trusted-lan")
        self._server_filter = None
        self.search_box.clear()
        hub = session.hub
        hub.changed.connect(self._on_changes)
        hub.notice.connect(self.show_notice)
        hub.followingChanged.connect(self._on_following)
        self._listening = hub
        self.model.reset(customers_fetch(self.api))
        self._add_session_tabs(session)
        if not self.started:
            QTimer.singleShot(START_UP_FALLBACK_MS, self, self.end_start_up)
        self._update_actions()

    # ------------------------------------------------------------------ session tabs

    def _add_session_tabs(self, session: Session) -> None:
        """The Transactions and Developers tabs of ``session``. During start-up they are
        shown by name and icon at once, and their views are built when start-up is over,
        when the tab is opened (click, keyboard, a go-to) or when the view is asked for,
        whichever comes first: building them (and the Transactions tab's first request)
        cost 5-18 ms measured between the sandbox's ready line and the first rows."""

        def transactions() -> QWidget:
            from desktop.ui.transactions import TransactionsView

            view = TransactionsView(session)
            view.goto.connect(self.go_to)
            self._transactions_view = view
            return view

        def developers() -> QWidget:
            from desktop.ui.developers import DevelopersView

            view = DevelopersView(session)  # webhooks (issue 16)
            view.goto.connect(self.go_to)
            self._developers_view = view
            return view

        for text, icon, build in (
            ("Transactions", "send", transactions),
            ("Developers", "settings", developers),
        ):
            if self.started:
                page = build()
            else:
                page = QWidget()
                page.setAccessibleName(f"{text} (loading)")
                self._lazy_tabs[text] = (page, build)
            self._extra_tabs.append(page)
            self.tabs.addTab(page, theme.icon(icon), text)

    def _build_lazy_tab(self, text: str) -> QWidget | None:
        """Build the view of the lazily shown tab ``text`` in its place (same index, name,
        icon, and current if it was)."""
        entry = self._lazy_tabs.pop(text, None)
        if entry is None:
            return None
        page, build = entry
        view = build()
        self._extra_tabs[self._extra_tabs.index(page)] = view
        idx = self.tabs.indexOf(page)
        if idx >= 0:
            current = self.tabs.currentIndex() == idx
            self.tabs.insertTab(idx, view, self.tabs.tabIcon(idx), self.tabs.tabText(idx))
            if current:
                self.tabs.setCurrentIndex(idx)
            self.tabs.removeTab(idx + 1)
        page.deleteLater()
        return view

    def _on_tab_changed(self, index: int) -> None:
        page = self.tabs.widget(index)
        for text, (lazy, _build) in list(self._lazy_tabs.items()):
            if lazy is page:
                self._build_lazy_tab(text)

    def build_lazy_tabs(self) -> None:
        for text in list(self._lazy_tabs):
            self._build_lazy_tab(text)

    def end_start_up(self) -> None:
        """The first rows are on screen (or the fallback time passed): build what waited
        for it, and say so once (the application applies its GC policy then)."""
        if self.started:
            return
        self.started = True
        # The first customer's detail (~9 ms of widgets) waited for the first rows' paint.
        self._select_first_if_none()
        self.build_lazy_tabs()
        self.start_up_over.emit()

    @property
    def transactions_view(self) -> TransactionsView | None:
        """The session's Transactions tab (built now if it waited for start-up's end)."""
        if self._transactions_view is None:
            self._build_lazy_tab("Transactions")
        return self._transactions_view

    @property
    def developers_view(self) -> DevelopersView | None:
        """The session's Developers tab (built now if it waited for start-up's end)."""
        if self._developers_view is None:
            self._build_lazy_tab("Developers")
        return self._developers_view

    def task_scopes(self) -> list[TaskScope]:
        """Every scope whose tasks use the session's client (window, detail, extra tabs)."""
        scopes = [self.scope, self.detail.scope, self.monitor.scope]
        for w in self._extra_tabs:
            sc = getattr(w, "scope", None)
            if isinstance(sc, TaskScope):
                scopes.append(sc)
        return scopes

    async def drain(self, timeout: float = 2.0) -> None:
        """Cancel and await all the window's work (before the client closes). The session
        is going: stop listening to its hub first, so a late batch starts no new request."""
        self.monitor.stop()
        self._detach_hub()
        await asyncio.gather(*(sc.drain(timeout) for sc in self.task_scopes()))

    def _detach_hub(self) -> None:
        self.detail.set_session(None)  # also stops its balance timer
        hub, self._listening = self._listening, None
        if hub is None:
            return
        for sig, slot in (
            (hub.changed, self._on_changes),
            (hub.notice, self.show_notice),
            (hub.followingChanged, self._on_following),
        ):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    def clear_session(self, message: str | None = None) -> None:
        self.monitor.stop()
        for sc in self.task_scopes():
            sc.cancel_all()
        self._detach_hub()
        for w in self._extra_tabs:
            idx = self.tabs.indexOf(w)
            if idx >= 0:
                self.tabs.removeTab(idx)
            w.deleteLater()
        self._extra_tabs = []
        self._lazy_tabs.clear()
        self._transactions_view = None
        self._developers_view = None
        self.session = None
        self.api = None
        self.model.reset(None, load=False)
        # Banners tied to the session's conditions go with it.
        for key in self.banners.keys():  # noqa: SIM118 (a BannerArea, not a dict)
            if key not in ("keyring",):
                self.banners.remove(key)
        if message:
            self.banners.set("session", message, "info", closable=False)
        self._update_actions()

    def show_session_error(self, message: str, actions=()) -> None:
        self.banners.set("session", message, "error", actions, closable=False)

    def set_keyring_warning(self, on: bool) -> None:
        if on:
            self.banners.set(
                "keyring",
                "No system keyring is available: API secrets are kept in memory for this session "
                "only and are never written to disk.",
                "warning",
                closable=False,
                icon_name="key",
            )
        else:
            self.banners.remove("keyring")

    # ---- the hub: changes, notices, resumed work ------------------------------------

    def _on_changes(self, changes: Changes) -> None:
        for c in changes.customers.values():
            if self.model.row_of(c.id) >= 0:
                self.model.replace_object(c)

    def show_notice(self, notice: Notice) -> None:
        """A failure or result nobody was looking at: named, linked, shown once."""
        actions = []
        if notice.target:
            target = notice.target
            actions.append(("Open", lambda: self.go_to(target)))
        self.banners.set(f"notice:{notice.key}", notice.text, notice.kind, actions)

    def _on_following(self, txns: int, cash_ins: int) -> None:
        if not txns and not cash_ins:
            self.banners.remove("following")
            return
        parts = []
        if txns:
            parts.append(plural(txns, "transaction"))
        if cash_ins:
            parts.append(plural(cash_ins, "cash-in"))
        self.banners.set(
            "following",
            f"Following {' and '.join(parts)} found in flight at start.",
            "info",
            closable=False,
        )

    # ------------------------------------------------------------------ state

    def _update_title(self) -> None:
        env = self.environment
        name = self.profile_name or "not connected"
        self.setWindowTitle(f"OMS Desk — {name} — {env}")
        self.badge.set_environment(env, self.profile_name)
        self.profile_label.setText(self.profile_name)
        production = env == "PRODUCTION" and bool(self.profile_name)
        self.production_strip.setVisible(production)
        if production:
            bg, fg = theme.colors().production_badge
            self.production_strip.setText(f"PRODUCTION — “{self.profile_name}” moves real money")
            self.production_strip.setStyleSheet(
                f"QLabel#productionStrip {{ background: {bg}; color: {fg}; font-weight: 700;"
                " letter-spacing: 1px; padding: 3px; border-radius: 3px; }"
            )

    def confirm_production(self, profile_name: str, proceed: Callable[[], None]) -> QMessageBox:
        """Switching into a production profile asks first (window-modal, never exec())."""
        box = QMessageBox(self)
        box.setObjectName("confirmProduction")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Switch to production?")
        box.setText(
            f"“{profile_name}” is a PRODUCTION profile: payments made there move real money."
        )
        box.setInformativeText("Switch to it?")
        switch = box.addButton("Switch to production", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        mnemonics.assign(box)
        box.buttonClicked.connect(lambda b: proceed() if b is switch else None)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()
        self.last_confirmation = box
        return box

    def current_customer(self) -> models.Customer | None:
        return self.detail.customer

    def current_wallet(self) -> models.Wallet | None:
        return self.detail.wallets[0] if self.detail.wallets else None

    def _update_actions(self) -> None:
        connected = self.api is not None
        has_customer = connected and self.current_customer() is not None
        has_wallet = has_customer and self.current_wallet() is not None
        self.new_customer_action.setEnabled(connected and "newCustomer" not in self._ops)
        self.refresh_action.setEnabled(connected)
        self.edit_customer_action.setEnabled(has_customer)
        self.new_wallet_action.setEnabled(has_customer)
        for a in (self.fund_action, self.send_action, self.withdraw_action):
            a.setEnabled(has_wallet)

    def _update_busy(self) -> None:
        busy = self.model.loading or self.detail.loading or bool(self._ops)
        self.busy_bar.setVisible(busy)

    def is_busy(self) -> bool:
        return self.busy_bar.isVisibleTo(self)

    def _update_count(self) -> None:
        n = self.model.rowCount()
        shown = self.view_model().rowCount()
        more = " (more on scroll)" if self.model.has_more else ""
        if shown != n:
            self.count_label.setText(f"{shown:,} of {plural(n, 'loaded customer')}{more}")
        else:
            self.count_label.setText(plural(n, "customer") + more)

    # ------------------------------------------------------------------ customers

    def _on_page_loaded(self, n: int) -> None:
        if self.session is not None and n > 0:  # the name cache learns every listed name
            hub = self.session.hub
            rows = self.model._rows[-n:]
            for row in rows:
                hub.learn_name(row[0], row[1], row[2])
        self.banners.remove("customers")
        self._update_count()
        if self.started:  # during start-up the rows are painted first, then the detail
            self._select_first_if_none()

    def _select_first_if_none(self) -> None:
        if (
            self.table.currentIndex().isValid() is False
            and self.view_model().rowCount()
            and (self.detail.customer is None)
        ):
            self.select_row(0)

    def _on_model_error(self, e: BaseException | None) -> None:
        if e is None:
            self.banners.remove("customers")
            return
        self.banners.set(
            "customers", f"Could not load customers: {e}", "error", [("Retry", self.model.retry)]
        )
        self.monitor.report(e)

    def view_model(self):
        """The model the table shows: the customers model, or the proxy while filtering."""
        return self.table.model()

    def set_name_filter(self, text: str) -> None:
        text = text.strip()
        self.proxy.set_name_filter(text)
        want = self.proxy if text else self.model
        if self.table.model() is not want:
            current = self.detail.customer
            header = self.table.horizontalHeader().saveState()
            self.table.setModel(want)
            self.table.horizontalHeader().restoreState(header)
            self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
            if current is not None:
                self._select_loaded(current.id)
        self._update_count()

    def _select_loaded(self, customer_id: str) -> bool:
        row = self.model.row_of(customer_id)
        if row < 0:
            return False
        ix = self.model.index(row, 0)
        if self.table.model() is self.proxy:
            ix = self.proxy.mapFromSource(ix)
        if not ix.isValid():
            return False
        self.table.selectionModel().setCurrentIndex(
            ix,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(ix)
        if self.detail.customer is None or self.detail.customer.id != customer_id:
            # The row was current already (a go-to to a customer the list has not loaded
            # clears the selection, not the current row): no current-row change comes.
            self._on_current_row(ix, ix)
        return True

    def select_row(self, view_row: int) -> None:
        ix = self.view_model().index(view_row, 0)
        if ix.isValid():
            self.table.selectionModel().setCurrentIndex(
                ix,
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.table.scrollTo(ix)

    def select_customer(self, customer: models.Customer) -> None:
        """Switch to the Customers tab and select the customer's row if loaded (a name
        filter that hides it is cleared); show the detail either way."""
        self.tabs.setCurrentWidget(self.customers_page)
        row = self.model.row_of(customer.id)
        if (
            row >= 0
            and self.table.model() is self.proxy
            and not self.proxy.mapFromSource(self.model.index(row, 0)).isValid()
        ):
            self.search_box.clear()  # go-to clears a filter that would hide its result
        if self.model.row_of(customer.id) >= 0:
            self.model.replace_object(customer)
            if self._select_loaded(customer.id):
                return
        if self._server_filter is not None:
            self.search_box.clear()  # a server search that hides the result is dropped
        self.table.selectionModel().clearSelection()
        self.detail.show_customer(customer)
        self.history.visit(("customer", customer.id))
        self._update_actions()

    def _on_current_row(self, current: QModelIndex, _prev: QModelIndex) -> None:
        if not current.isValid():
            return
        obj = current.data(ROLE_OBJECT)
        if obj is not None and (self.detail.customer is None or self.detail.customer.id != obj.id):
            self.detail.show_customer(obj)
        if obj is not None:
            self.history.visit(("customer", obj.id))
        self._update_actions()

    def _on_detail_loaded(self, customer: models.Customer) -> None:
        self.model.replace_object(customer)
        self._update_actions()
        if self._pending_wallet_focus:
            self.detail.focus_wallet(self._pending_wallet_focus)
            self._pending_wallet_focus = None

    # ------------------------------------------------------------------ search

    def focus_search(self) -> None:
        self.tabs.setCurrentWidget(self.customers_page)
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def focus_goto(self) -> None:
        if self.goto_box.isVisible():
            self.goto_box.focus_and_select()
            return
        # The toolbar overflowed (a very narrow window): ask in a small dialog instead.
        from PySide6.QtWidgets import QInputDialog

        dlg = QInputDialog(self)
        dlg.setWindowTitle("Go to")
        dlg.setLabelText("Customer, wallet, transaction, quote or cash-in id, or a 0x address:")
        dlg.textValueSelected.connect(self.go_to)
        dlg.open()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        narrow = self.width() < 1150
        self.toolbar.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonIconOnly
            if narrow
            else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        self.profile_label.setVisible(self.width() >= 1000)
        self.search_box.setMinimumWidth(150 if narrow else 240)
        self.goto_box.setMinimumWidth(170 if narrow else 260)

    def _on_search_mode(self, mode: str) -> None:
        self._search_mode = mode
        if mode == "Name":
            self.set_name_filter(self.search_box.text())
            fit_placeholder(
                self.search_box, "Filter loaded customers by name  (Ctrl+F)", "Filter by name"
            )
        else:
            self.set_name_filter("")
            fit_placeholder(
                self.search_box, f"Search by {mode.lower()}  (Ctrl+F)", f"Search by {mode.lower()}"
            )
        self._update_count()

    def _on_search_text(self, text: str) -> None:
        mode = detect_search_mode(text, self.search_mode.currentText())
        if mode != self.search_mode.currentText():
            self.search_mode.setCurrentText(mode)
        if mode == "Name":
            self.search_timer.stop()
            self.set_name_filter(text)
        elif not text.strip() and self._server_filter is not None:
            self.search_timer.stop()
            self.run_search()
        else:  # the server modes search as you type, once typing pauses
            self.search_timer.start()

    def run_search(self) -> None:
        """Apply the search box: server filters reset the model to filtered pages."""
        self.search_timer.stop()
        if self.api is None:
            return
        mode, text = self.search_mode.currentText(), self.search_box.text().strip()
        if mode == "Name":
            self.set_name_filter(text)
            if self._server_filter is not None:
                self._server_filter = None
                self.model.reset(customers_fetch(self.api))
            self._update_count()
            return
        self._server_filter = (mode, text) if text else None
        self.detail.clear()
        self.model.reset(customers_fetch(self.api, mode, text))

    # ------------------------------------------------------------------ actions

    def run_op(
        self,
        key: str,
        label: str,
        work: Callable[[], Awaitable[Any]],
        on_success: Callable[[Any], None] | None = None,
        *,
        not_found: str | None = None,
    ) -> asyncio.Task | None:
        """One window action through ``Op``: busy bar, no double start per key, errors in
        the banner area (a missing object is information, not an error)."""
        if key in self._ops or self.api is None:
            return None

        def busy(on: bool) -> None:
            if on:
                self._ops.add(key)
                self.statusBar().showMessage(f"{label}…")
            else:
                self._ops.discard(key)
                self.statusBar().clearMessage()
            self._update_busy()
            self._update_actions()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, errors.NotFound):
                self.banners.set("error", not_found or f"{label}: {exc}", "info")
                return
            self.banners.set(
                "error", f"{label} failed: {error_text(exc)}", "error", [("Retry", op.again)]
            )
            self.monitor.report(exc)

        def succeeded(result: Any) -> None:
            self.banners.remove("error")
            if self.session is not None:
                for obj in result if isinstance(result, tuple) else (result,):
                    self.session.hub.publish(obj)
            if on_success is not None:
                on_success(result)

        op = Op(self.scope, work, name=f"action.{key}").busy(busy).success(succeeded)
        op.failure(failed)
        return op.run()

    def refresh(self) -> None:
        if self.api is None:
            return
        self.banners.remove("error")
        keep = self.detail.customer
        mode, text = self._server_filter or ("", "")
        self.model.reset(customers_fetch(self.api, mode, text))
        if keep is not None:
            self.detail.show_customer(keep)
        if not self.monitor.online:
            self.monitor.check_now()

    def new_customer(self) -> CustomerFormDialog | None:
        if self.api is None:
            return None
        from desktop.ui.dialogs import CustomerFormDialog

        api = self.api
        dlg = CustomerFormDialog(
            lambda body, key: api.create_customer(body, idempotency_key=key), parent=self
        )
        dlg.saved.connect(self._on_customer_created)
        dlg.open()
        return dlg

    def _on_customer_created(self, c: models.Customer) -> None:
        if self._server_filter is None:
            self.model.prepend_object(c)
        self.select_customer(c)
        self.statusBar().showMessage(f"Created {c.display_name} ({c.id})", 5000)

    def edit_customer(self, customer: models.Customer | None = None) -> CustomerFormDialog | None:
        customer = customer or self.current_customer()
        if customer is None or self.api is None:
            return None
        from desktop.ui.dialogs import CustomerFormDialog

        api = self.api
        dlg = CustomerFormDialog(
            lambda body, key: api.update_customer(customer.id, body, idempotency_key=key),
            customer=customer,
            parent=self,
        )
        dlg.saved.connect(self._on_customer_saved)
        dlg.open()
        return dlg

    def _on_customer_saved(self, c: models.Customer) -> None:
        self.model.replace_object(c)
        self.detail.show_customer(c)
        self.statusBar().showMessage(f"Saved {c.display_name}", 5000)

    def new_wallet(self, customer: models.Customer | None = None) -> NewWalletDialog | None:
        customer = customer or self.current_customer()
        if customer is None or self.api is None:
            return None
        from desktop.ui.dialogs import NewWalletDialog

        api = self.api
        dlg = NewWalletDialog(
            customer,
            lambda key: api.create_wallet(customer.id, "usdc", "polygon", idempotency_key=key),
            parent=self,
        )
        dlg.created.connect(self._on_wallet_created)
        dlg.open()
        return dlg

    def _on_wallet_created(self, w: models.Wallet) -> None:
        self._pending_wallet_focus = w.id
        self.detail.reload()
        self.statusBar().showMessage(f"Created wallet {w.address}", 5000)

    # ---- money-moving hooks (wired by the wizards) ----------------------------------

    def _wizard(self, kind: str, customer, wallet) -> QWizard | None:
        customer = customer or self.current_customer()
        wallet = wallet or self.current_wallet()
        if self.session is None:
            self.statusBar().showMessage("Connect to a profile first.", 5000)
            return None
        from desktop.ui.wizards.fund import FundWizard  # when first opened (start-up)
        from desktop.ui.wizards.send import SendWizard
        from desktop.ui.wizards.withdraw import WithdrawWizard

        cls = {"fund": FundWizard, "send": SendWizard, "withdraw": WithdrawWizard}[kind]
        wiz = cls(
            self.session,
            customer_id=getattr(customer, "id", None)
            or (customer if isinstance(customer, str) else ""),
            wallet_id=getattr(wallet, "id", None) or (wallet if isinstance(wallet, str) else None),
            parent=self,
        )
        wiz.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        wiz.open()  # window-modal, never exec()
        self.last_wizard = wiz
        return wiz

    def open_customer_transactions(self, customer_id: str, select: str | None = None):
        """A window with one customer's transactions (same view, filtered to the customer)."""
        if self.session is None or not customer_id:
            return None
        dlg = QDialog(self)
        dlg.setWindowTitle(f"Transactions of {self.session.hub.label(customer_id)}")
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        lay = QVBoxLayout(dlg)
        from desktop.ui.transactions import TransactionsView

        view = TransactionsView(self.session, customer_id=customer_id)
        view.goto.connect(self.go_to)
        lay.addWidget(view)
        dlg.finished.connect(lambda _r: view.scope.cancel_all())
        if select:

            def pick(*_: Any) -> None:
                if view.select(select):
                    view.model.rowsInserted.disconnect(pick)

            view.model.rowsInserted.connect(pick)
        dlg.resize(1200, 700)
        dlg.show()
        return dlg

    def _wizard_from_menu(self, kind: str) -> None:
        self._wizard(kind, None, None)

    def open_fund_wizard(self, customer=None, wallet=None) -> QWizard | None:
        return self._wizard("fund", customer, wallet)

    def open_send_wizard(self, customer=None, wallet=None) -> QWizard | None:
        return self._wizard("send", customer, wallet)

    def open_withdraw_wizard(self, customer=None, wallet=None) -> QWizard | None:
        return self._wizard("withdraw", customer, wallet)

    def open_receive(self, customer=None, wallet=None) -> ReceiveDialog | None:
        """Receive USDC: the wallet's deposit address, QR and copy (D22)."""
        customer = customer or self.current_customer()
        wallet = wallet or self.current_wallet()
        if self.session is None or customer is None or wallet is None:
            self.statusBar().showMessage("Choose a customer's wallet first.", 5000)
            return None
        cid = getattr(customer, "id", customer)
        from desktop.ui.wizards.receive import ReceiveDialog

        dlg = ReceiveDialog(self.session, cid, getattr(wallet, "id", wallet), parent=self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.open()
        self.last_wizard = dlg
        return dlg

    # ------------------------------------------------------------------ go to

    def go_to(self, target: Target | str) -> asyncio.Task | None:
        if isinstance(target, str):
            parsed = parse_target(target)
            if parsed is None:
                self.banners.set("error", f"Not an id or wallet address: {target}", "info")
                return None
            target = parsed
        api = self.api
        if api is None:
            return None
        v = target.value
        if target.kind == "customer":
            return self.run_op(
                "goto",
                f"Opening {v}",
                lambda: api.get_customer(v),
                self.select_customer,
                not_found=f"No customer {v}.",
            )
        if target.kind in ("wallet", "address"):
            if target.kind == "address" and not self.is_sandbox:
                self.banners.set(
                    "error",
                    "Looking a wallet up by address needs the sandbox; enter the wallet id.",
                    "info",
                )
                return None

            async def open_wallet():
                if target.kind == "address":
                    w = await api.sandbox_find_wallet(v)
                    if w is None:
                        raise errors.NotFound(f"No wallet with address {v}.")
                else:
                    w = await api.get_wallet(v)
                c = await api.get_customer(w.customer_id)
                return w, c

            def done(res) -> None:
                w, c = res
                self._pending_wallet_focus = w.id
                self.select_customer(c)

            return self.run_op(
                "goto", f"Opening {v}", open_wallet, done, not_found=f"Nothing found for {v}."
            )
        if target.kind == "transaction" and self.transactions_view is not None:
            return self.run_op(
                "goto",
                f"Opening {v}",
                lambda: api.get_transaction(v),
                self.show_transaction,
                not_found=f"No transaction {v}.",
            )
        if target.kind in ("quote", "cashIn"):
            return self._go_to_related(target.kind, v)
        return self.run_op(
            "goto",
            f"Opening {v}",
            lambda: api.get_transaction(v),
            lambda obj: self.show_resource(f"Transaction {v}", obj),
            not_found=f"No transaction {v}.",
        )

    def _go_to_related(self, kind: str, ident: str) -> asyncio.Task | None:
        """A quote or cash-in link: the Transactions tab, the transaction it led to
        selected, the quote or cash-in told above its story (no dialog)."""
        api, hub = self.api, self.session.hub if self.session else None
        word = "quote" if kind == "quote" else "cash-in"

        async def fetch():
            if kind == "quote":
                obj = await api.get_quote(ident)
                known = hub.transactions.values() if hub is not None else ()
                txn_id = next((t.id for t in known if t.quote_id == ident), None)
            else:
                obj = await api.get_cash_in(ident)
                txn_id = obj.transaction_id
            txn = hub.transactions.get(txn_id) if hub is not None and txn_id else None
            if txn is None and txn_id:
                txn = await api.get_transaction(txn_id)
            return obj, txn

        return self.run_op(
            "goto",
            f"Opening {ident}",
            fetch,
            lambda res: self.show_related(*res),
            not_found=f"No {word} {ident}.",
        )

    def show_related(self, obj: Any, txn: Any = None, *, record: bool = True) -> None:
        """Show a quote or cash-in where it belongs (see :meth:`_go_to_related`)."""
        from desktop.flows.story import tell_related

        view = self.transactions_view
        hub = self.session.hub if self.session else None
        rel = tell_related(
            obj,
            transaction_id=getattr(txn, "id", None),
            names=hub.name_of if hub is not None else None,
        )
        if view is None:
            self.show_resource(f"{rel.label} {rel.id}", obj)
            return
        self.tabs.setCurrentWidget(view)
        view.reveal_related(rel, txn)
        if record:
            self.history.visit((rel.kind, rel.id))

    def _open_customer_transaction(self, txn: models.Transaction) -> None:
        """Double-click in the customer's recent transactions opens exactly one thing:
        the Transactions tab with that row selected (filters that hide it cleared)."""
        if txn is not None:
            self.show_transaction(txn)

    def show_transaction(self, txn: models.Transaction, *, record: bool = True) -> None:
        """Switch to the Transactions tab and select ``txn`` (its story in the detail)."""
        if txn is None:
            return
        view = self.transactions_view
        if view is None:
            self.show_resource(f"Transaction {txn.id}", txn)
            return
        self.tabs.setCurrentWidget(view)
        view.reveal(txn)
        if record:
            self.history.visit(("transaction", txn.id))

    # ---- back / forward (Alt+Left / Alt+Right) --------------------------------------

    def go_back(self) -> None:
        self._navigate(self.history.back())

    def go_forward(self) -> None:
        self._navigate(self.history.forward())

    def _navigate(self, place: tuple[str, str] | None) -> None:
        if place is None or self.api is None:
            return
        kind, ident = place
        self.history.replaying = True
        try:
            if kind == "customer":
                c = self.session.hub.customers.get(ident) if self.session else None
                if c is not None:
                    self.select_customer(c)
                else:
                    self.go_to(ident)
            else:
                t = self.session.hub.transactions.get(ident) if self.session else None
                if t is not None:
                    self.show_transaction(t, record=False)
                else:
                    self.go_to(ident)
        finally:
            self.history.replaying = False

    def show_shortcuts(self) -> QDialog:
        """Help › Keyboard shortcuts: read from the actions themselves (never out of date)."""
        from PySide6.QtWidgets import QDialogButtonBox, QTableWidget, QTableWidgetItem

        dlg = QDialog(self)
        dlg.setObjectName("shortcutsSheet")
        dlg.setWindowTitle("Keyboard shortcuts")
        lay = QVBoxLayout(dlg)
        rows = []
        for a in self.actions():
            keys = ", ".join(
                k.toString(QKeySequence.SequenceFormat.NativeText) for k in a.shortcuts()
            )
            if keys:
                rows.append((a.text().replace("&", "").rstrip("…"), keys))
        rows += [
            ("Confirm a valid quote (quote page)", "Enter"),
            ("Next / Back in a wizard", "Alt+N / Alt+B"),
        ]
        table = QTableWidget(len(rows), 2)
        table.setObjectName("shortcutsTable")
        table.setAccessibleName("Keyboard shortcuts")
        table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        for r, (what, keys) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(what))
            table.setItem(r, 1, QTableWidgetItem(keys))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        lay.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dlg.reject)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("&Close")
        lay.addWidget(buttons)
        dlg.resize(460, 480)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dlg.open()
        self.last_shortcuts = dlg
        return dlg

    def show_resource(self, title: str, obj: Any) -> ResourceDialog:
        from desktop.ui.dialogs import ResourceDialog

        dlg = ResourceDialog(title, dict(getattr(obj, "raw", {}) or {}), parent=self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        self.last_resource_dialog = dlg
        return dlg

    # ------------------------------------------------------------------ offline

    def _on_offline(self, message: str) -> None:
        self.banners.set(
            "offline",
            "The server cannot be reached. Retrying automatically; your work is kept.",
            "warning",
            [("Retry now", self.monitor.check_now)],
            closable=False,
            icon_name="offline",
        )

    def _on_probe_failed(self, message: str) -> None:
        """The server is not only unreachable: something says why (the embedded sandbox
        cannot start). Said in the offline banner; probing goes on (Retry too)."""
        if not self.banners.has("offline"):
            return
        self.banners.set(
            "offline",
            f"The server cannot be reached: {message}. Retrying automatically; your work is kept.",
            "error",
            [("Retry now", self.monitor.check_now)],
            closable=False,
            icon_name="offline",
        )

    def _on_online(self) -> None:
        self.banners.remove("offline")
        self.statusBar().showMessage("Connection restored.", 4000)
        if self.model.error is not None:
            self.model.retry()
        elif self.model.rowCount() == 0:
            self.refresh()
        if self.detail.customer is not None:
            self.detail.reload()

    # ------------------------------------------------------------------ misc

    def _fill_profiles_menu(self) -> None:
        self.profiles_menu.clear()
        names = self.profile_names()
        for name in names:
            a = self.profiles_menu.addAction(name)
            a.setCheckable(True)
            a.setChecked(name == self.profile_name)
            a.triggered.connect(lambda _c=False, n=name: self.profile_switch_requested.emit(n))
        if not names:
            a = self.profiles_menu.addAction("(no saved profiles)")
            a.setEnabled(False)

    def set_theme(self, mode: str) -> None:
        self.settings.setValue("theme", mode)
        theme.apply_theme(QApplication.instance(), mode)
        self.restyle()
        self.theme_changed.emit(mode)

    def restyle(self) -> None:
        """Redraw what holds colours of the old palette: icons, badge, strip, detail."""
        idx = self.tabs.indexOf(self.customers_page)
        if idx >= 0:
            self.tabs.setTabIcon(idx, theme.icon("customer"))
        for w in self._extra_tabs:  # built or not
            idx = self.tabs.indexOf(w)
            if idx >= 0:
                icon = {"Transactions": "send", "Developers": "settings"}.get(
                    self.tabs.tabText(idx)
                )
                if icon:
                    self.tabs.setTabIcon(idx, theme.icon(icon))
        self._update_title()
        if self.detail.customer is not None:
            self.detail.show_customer(self.detail.customer, reload=True)

    def open_log_folder(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        from desktop.config import default_paths

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(default_paths().log_dir)))

    def about(self) -> None:
        box = QMessageBox(self)
        box.setWindowTitle("About OMS Desk")
        box.setIconPixmap(theme.app_icon().pixmap(48, 48))
        box.setText(
            f"<b>OMS Desk</b> {__version__}<br>Operator console for the Open Money Stack "
            "payments API, with an embedded offline sandbox."
        )
        box.open()

    def _restore_state(self) -> None:
        s = self.settings
        geo = s.value("window/geometry")
        if isinstance(geo, QByteArray | bytes) and geo:
            self.restoreGeometry(QByteArray(geo))
        else:
            self.resize(1280, 800)
        self.clamp_to_screen()
        sp = s.value("window/splitter")
        if isinstance(sp, QByteArray | bytes) and sp:
            self.splitter.restoreState(QByteArray(sp))
        hs = s.value("window/customerColumns")
        if isinstance(hs, QByteArray | bytes) and hs:
            self.table.horizontalHeader().restoreState(QByteArray(hs))

    def clamp_to_screen(self) -> None:
        """Keep the window on a visible screen and no larger than it."""
        geo = self.frameGeometry() if self.isVisible() else self.geometry()
        screen = QGuiApplication.screenAt(geo.center()) or QGuiApplication.primaryScreen()
        if screen is None:
            return
        avail: QRect = screen.availableGeometry()
        w = min(self.width(), avail.width())
        h = min(self.height(), avail.height())
        if w != self.width() or h != self.height():
            self.resize(w, h)
        x = min(max(self.x(), avail.left()), avail.right() - w + 1)
        y = min(max(self.y(), avail.top()), avail.bottom() - h + 1)
        if (x, y) != (self.x(), self.y()):
            self.move(x, y)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/customerColumns", self.table.horizontalHeader().saveState())
        s.sync()

    def closeEvent(self, event) -> None:
        self.save_state()
        self.monitor.stop()
        for sc in self.task_scopes():
            sc.cancel_all()
        # The session's hub goes on publishing until the session closes: a closed window must
        # not start new work from it (a balance re-read once hit deleted labels and a closed
        # client during shutdown).
        self.detail.set_session(None)
        super().closeEvent(event)
        self.closed.emit()

"""Small parts of the main window: the notice bar over the canvas, the docks and their
scroller, and a geometry that fits the screen."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDockWidget, QFrame, QHBoxLayout, QLabel, QMainWindow, QPushButton, QScrollArea, QWidget


class NoticeBar(QWidget):
    """Readable errors and warnings over the top of the canvas; never a modal that blocks work.

    It floats over the canvas instead of taking a row of the layout: as a row, every
    notice pushed the photo down under the cursor (and a stale one kept it there).
    Info notices go by themselves after a while or at the next edit; warnings and
    errors stay until dismissed, or until the next job reports its own outcome.
    """

    STYLES = {
        "error": ("#5c1f1f", "#ffecec"),
        "warning": ("#5a4a12", "#fff6d6"),
        "info": ("#1f3b5c", "#e6f1ff"),
    }
    #: How long an info notice stays, in ms.
    INFO_MS = 8000

    def __init__(self, host: QWidget) -> None:
        super().__init__(host)
        # The whole bar (close button included) takes the colour, not only the label.
        self.setObjectName("noticeBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("✕")
        close.setObjectName("noticeClose")
        close.setFlat(True)
        close.setFixedWidth(28)
        close.setToolTip("Dismiss")
        close.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        close.clicked.connect(self.hide)
        self.close_button = close
        lay.addWidget(self.label, 1)
        lay.addWidget(close)
        self.level = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        host.installEventFilter(self)
        self.hide()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        host = self.parentWidget()
        if host is None:
            return
        w = host.width()
        h = self.heightForWidth(w) if self.hasHeightForWidth() else self.sizeHint().height()
        self.setGeometry(0, 0, w, max(h, self.sizeHint().height()))
        self.raise_()

    def show_message(self, text: str, level: str = "info") -> None:
        self.level = level
        self.label.setText(text)
        bg, fg = self.STYLES.get(level, self.STYLES["info"])
        self.setStyleSheet(
            f"#noticeBar {{ background: {bg}; }}"
            f"#noticeBar QLabel {{ color: {fg}; background: transparent; }}"
            f"#noticeBar QPushButton {{ color: {fg}; background: transparent; border: none; font-weight: bold; }}"
            f"#noticeBar QPushButton:hover {{ background: rgba(255, 255, 255, 40); }}"
        )
        self.show()
        self._place()
        if level == "info":
            self._timer.start(self.INFO_MS)
        else:
            self._timer.stop()

    def dismiss(self, levels: tuple[str, ...] = ("info",)) -> None:
        """Hide the notice if it is of one of ``levels`` (it went stale)."""
        if self.isVisible() and self.level in levels:
            self.hide()


class PanelScroll(QScrollArea):
    """Scrolls a dock's panel only when the window is too short for it: the size hint is
    the panel's own (QScrollArea caps it at ~24 lines, which hid half the Tools dock)."""

    def __init__(self, full_height: bool) -> None:
        super().__init__()
        self.full_height = full_height  # False: ask for the minimum, let other docks go first

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        w = self.widget()
        if w is None:
            return super().sizeHint()
        hint = w.sizeHint() if self.full_height else w.minimumSizeHint()
        return QSize(w.sizeHint().width() + self.verticalScrollBar().sizeHint().width(), hint.height())


def add_dock(win: QMainWindow, title: str, w: QWidget, name: str, full_height: bool) -> QDockWidget:
    d = QDockWidget(title, win)
    d.setObjectName(name)
    # Scrollable, so the panels never force the window taller than a laptop screen.
    area = PanelScroll(full_height=full_height)
    area.setObjectName(name + "Scroll")
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(w)
    area.setMinimumWidth(w.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    d.setWidget(area)
    d.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, d)
    return d


def balance_docks(win: QMainWindow, t: QDockWidget, lay: QDockWidget) -> None:
    """Give the top dock (Tools) the height of its content again, as far as its column allows.

    Qt shares a column's height out in the docks' current proportions; after the
    window was small both docks ended up equal and Tools scrolled for good.  A dock
    the user floated or moved to another column is left alone.
    """
    if t.isFloating() or lay.isFloating() or not (t.isVisible() and lay.isVisible()):
        return
    if win.dockWidgetArea(t) != win.dockWidgetArea(lay) or t.x() != lay.x():
        return
    total = t.height() + lay.height()
    want = min(t.sizeHint().height(), total - lay.minimumSizeHint().height())
    if abs(t.height() - want) > 1:  # its content's height; the other dock takes the rest
        win.resizeDocks([t, lay], [want, total - want], Qt.Orientation.Vertical)


def sane_geometry(win: QWidget) -> None:
    """Geometry saved on another screen (or by a headless run) can be tiny or off-screen."""
    screen = win.screen() or QGuiApplication.primaryScreen()
    if screen is None:
        return
    avail = screen.availableGeometry()
    w = min(max(win.width(), 1000), avail.width())
    h = min(max(win.height(), 700), avail.height())
    if (w, h) != (win.width(), win.height()):
        win.resize(w, h)
    if not avail.intersects(win.frameGeometry()):
        win.move(avail.topLeft())

"""A headless Chromium driven over the DevTools protocol on a pipe (no extra packages).

`--remote-debugging-pipe` makes Chromium read NUL-terminated JSON commands on fd 3 and
write replies and events on fd 4. Missing Chromium is a failure, not a skip: the test
command installs it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
    "--window-size=1000,900",
]


def find_chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    pytest.fail(
        "Chromium not found: the fan-page tests need a headless Chromium. "
        "Install it with `apt-get install -y chromium` or set CHROMIUM=/path/to/chrome.",
        pytrace=False,
    )


class CDPError(RuntimeError):
    pass


class Browser:
    """One headless Chromium, started on first use, spoken to over the CDP pipe."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self._to_browser = -1
        self._from_browser = -1
        self._next_id = 0
        self._lock = threading.Lock()
        self._replies: dict[int, dict[str, Any]] = {}
        self._replied = threading.Condition(self._lock)
        self._handlers: dict[str, list[Callable[[dict[str, Any]], None]]] = {}
        self._home = ""  # holds the fresh profile and Chromium's log
        self.handler_errors: list[str] = []

    # ------------------------------------------------------------- lifecycle
    def start(self) -> None:
        exe = find_chromium()
        self._home = tempfile.mkdtemp(prefix="scoreline-chromium-")
        cmd_r, cmd_w = os.pipe()  # we write commands, Chromium reads them on fd 3
        out_r, out_w = os.pipe()  # Chromium writes on fd 4, we read
        # Keep the child's ends away from 3 and 4 so the redirections cannot clash.
        child_r = _fd_at_least(cmd_r, 10)
        child_w = _fd_at_least(out_w, 10)
        shell = f'exec "$@" 3<&{child_r} 4>&{child_w} {child_r}<&- {child_w}>&-'
        with open(os.path.join(self._home, "chromium.log"), "wb") as log:
            self.proc = subprocess.Popen(
                [
                    # bash, not sh: dash cannot redirect file descriptors above 9.
                    shutil.which("bash") or "/bin/bash",
                    "-c",
                    shell,
                    "bash",
                    exe,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={os.path.join(self._home, 'profile')}",
                    "about:blank",
                ],
                pass_fds=(child_r, child_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        os.close(child_r)
        os.close(child_w)
        self._to_browser, self._from_browser = cmd_w, out_r
        threading.Thread(target=self._read_loop, name="cdp-reader", daemon=True).start()
        try:
            self.send("Browser.getVersion", timeout=30)
        except CDPError as error:
            pytest.fail(f"Chromium ({exe}) did not start: {error}", pytrace=False)

    def close(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(CDPError):
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._home, ignore_errors=True)
        self.proc = None

    def stderr_tail(self) -> str:
        try:
            with open(os.path.join(self._home, "chromium.log"), "rb") as log:
                return log.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    # -------------------------------------------------------------- protocol
    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._replied:
                    self._replies[-1] = {"error": {"message": "Chromium exited"}}
                    self._replied.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._replied:
                        self._replies[message["id"]] = message
                        self._replied.notify_all()
                else:
                    key = f"{message.get('sessionId', '')}:{message['method']}"
                    for handler in list(self._handlers.get(key, ())):
                        try:
                            handler(message.get("params", {}))
                        except Exception as error:  # keep reading whatever a handler does
                            self.handler_errors.append(f"{key}: {error!r}")

    def on(self, session: str, method: str, handler: Callable[[dict[str, Any]], None]) -> None:
        self._handlers.setdefault(f"{session}:{method}", []).append(handler)

    def post(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> int:
        """Send a command without waiting (safe from an event handler)."""
        if self.proc is None:
            self.start()
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except OSError as error:
            raise CDPError(f"{method}: Chromium is gone ({error})\n{self.stderr_tail()}") from None
        return ident

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str = "",
        timeout: float = 10,
    ) -> dict[str, Any]:
        ident = self.post(method, params, session)
        deadline = time.monotonic() + timeout
        with self._replied:
            while ident not in self._replies and -1 not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CDPError(f"{method}: no reply within {timeout}s")
                self._replied.wait(left)
            reply = self._replies.pop(ident, None) or self._replies[-1]
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}\n{self.stderr_tail()}")
        result: dict[str, Any] = reply.get("result", {})
        return result


def _fd_at_least(fd: int, low: int) -> int:
    import fcntl

    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)
    os.close(fd)
    return moved


class Page:
    """A tab: navigate, evaluate JavaScript, wait for the DOM to say something."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.target = self.session = ""  # a tab is opened on first use, inside the test
        self.errors: list[str] = []
        self.console: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.requests: list[str] = []
        self._blocked = False

    def _open(self) -> None:
        browser = self.browser
        self.target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send(
            "Target.attachToTarget", {"targetId": self.target, "flatten": True}
        )["sessionId"]
        browser.on(self.session, "Runtime.exceptionThrown", self._exception)
        browser.on(self.session, "Runtime.consoleAPICalled", self._console)
        browser.on(
            self.session,
            "Network.requestWillBeSent",
            lambda p: self.requests.append(p["request"]["url"]),
        )
        browser.on(
            self.session,
            "Network.responseReceived",
            lambda p: self.responses.append((p["response"]["url"], p["response"]["status"])),
        )
        browser.on(self.session, "Fetch.requestPaused", self._paused)
        for domain in ("Runtime", "Page", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if not self.session:
            self._open()
        return self.browser.send(method, params, self.session)

    def _exception(self, params: dict[str, Any]) -> None:
        details = params["exceptionDetails"]
        self.errors.append(details.get("exception", {}).get("description") or details["text"])

    def _console(self, params: dict[str, Any]) -> None:
        text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
        self.console.append(f"{params['type']}: {text}")

    def _paused(self, params: dict[str, Any]) -> None:
        if self._blocked:
            self.browser.post(
                "Fetch.failRequest",
                {"requestId": params["requestId"], "errorReason": "ConnectionRefused"},
                self.session,
            )
        else:
            self.browser.post(
                "Fetch.continueRequest", {"requestId": params["requestId"]}, self.session
            )

    def block(self, url_pattern: str) -> None:
        """Make every request matching ``url_pattern`` fail as if the network refused it."""
        self._blocked = True
        self.send("Fetch.enable", {"patterns": [{"urlPattern": url_pattern}]})

    def unblock(self) -> None:
        self._blocked = False
        self.send("Fetch.disable")

    def goto(self, url: str) -> None:
        self.send("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && location.href !== 'about:blank'")

    def eval(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise CDPError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self, selector: str) -> str | None:
        value = self.eval(f"document.querySelector({json.dumps(selector)})?.textContent ?? null")
        return None if value is None else str(value)

    def wait_for(self, expression: str, timeout: float = 10.0) -> Any:
        """Poll ``expression`` in the page until it is truthy; fail with a page snapshot."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"page never satisfied {expression!r} within {timeout}s\n" + self.describe()
                )
            time.sleep(0.05)

    def describe(self) -> str:
        body = self.eval("document.body ? document.body.innerText : ''") or ""
        return (
            f"url: {self.eval('location.href')}\npage text:\n{body[:1500]}\n"
            f"JS errors: {self.errors}\nconsole: {self.console[-10:]}\n"
            f"responses: {self.responses[-10:]}"
        )

    def screenshot(self, path: str) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(data))

    def close(self) -> None:
        with contextlib.suppress(CDPError):
            self.browser.send("Target.closeTarget", {"targetId": self.target})

"""What the helpers that run real servers for tests share: a free port, and the
context-manager shape (start on enter; stop, and remove a folder of its own, on exit)."""

from __future__ import annotations

import shutil
import socket
from typing import Self

HOST = "127.0.0.1"


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago (the caller binds it soon after)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class ManagedServer:
    """Mixin: subclasses provide start(), stop(), `folder` and `_own_folder`."""

    def __enter__(self) -> Self:
        try:
            return self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

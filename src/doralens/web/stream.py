"""A page sent in two parts: what comes before its data at once, the rest when the data is computed.

The first part (head, scripts, header and filter form) reaches the browser while the server is still computing the
metrics, so it fetches and starts plotly.js meanwhile instead of afterwards. The data is computed when the template
first reads it, after the flush marker in ``base.html``. Anything that can make the page a 4xx must be checked
before streaming starts: once the first part is sent the status is 200, and a failure while computing shows as a
message at the end of the page (and in the server's log) instead of an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from markupsafe import Markup

from doralens.web.render import SECURITY_HEADERS, environment

log = logging.getLogger("doralens.web")

# Output no template produces by itself: where the first part ends.
FLUSH = "<!--doralens:flush-->"
FAILED = (
    '<p class="problem" role="alert">The server failed while computing this page; its log says why.</p>'
    "</main></body></html>"
)


class LazyData(Mapping[str, Any]):
    """A page's data, computed on first use (the template reads it as ``data``)."""

    def __init__(self, load: Callable[[], dict[str, Any]]) -> None:
        self._load = load
        self._data: dict[str, Any] | None = None

    def _loaded(self) -> dict[str, Any]:
        if self._data is None:
            self._data = self._load()
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def _parts(chunks: Iterator[str]) -> Iterator[bytes]:
    """The rendered chunks joined into the part before the flush marker and the part after it."""
    buffered: list[str] = []
    try:
        for chunk in chunks:
            text = "".join((chunk,))  # plain text: a Markup chunk would escape whatever is added to it
            if FLUSH in text:
                before, _, after = text.partition(FLUSH)
                yield ("".join(buffered) + before).encode()
                buffered = [after]
            else:
                buffered.append(text)
    except Exception:
        log.exception("a streamed page failed while rendering")
        buffered.append(FAILED)
    yield "".join(buffered).encode()


def streamed_page(
    request: Request, template: str, load: Callable[[], dict[str, Any]], context: Mapping[str, Any]
) -> StreamingResponse:
    """``template`` rendered with ``load()`` as its data, its first part sent before ``load`` runs."""
    chunks = (
        environment()
        .get_template(template)
        .generate(data=LazyData(load), request=request, flush=Markup(FLUSH), **context)
    )
    return StreamingResponse(_parts(chunks), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

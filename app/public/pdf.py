"""PDF output of the printable documents (缴款核定通知单, 合同, 排污权电子凭证, 审查决定书):
the same page as the HTML view, rendered by WeasyPrint in print media. WeasyPrint needs Debian's
Pango (scripts/system-deps.sh); Chinese text is set in Noto Sans CJK (fonts-noto-cjk). Stylesheets
and images are read from app/static only — the renderer never fetches a URL over the network."""
from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from flask import current_app, render_template, request
from werkzeug.exceptions import ServiceUnavailable

log = logging.getLogger("erflow.pdf")
logging.getLogger("weasyprint").setLevel(logging.ERROR)  # unsupported screen CSS is expected


def _weasyprint():
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as exc:  # the package, or the Pango library, is missing
        log.error("PDF output unavailable: %s", exc)
        raise ServiceUnavailable("PDF output is not available on this server.") from exc
    return weasyprint, URLFetcher, URLFetcherResponse


def _static_fetcher(base: type, response: type, static_folder: str, static_path: str):
    root = Path(static_folder).resolve()
    prefix = static_path.rstrip("/") + "/"

    class StaticFetcher(base):
        """Serves /static/… from disk and data: URIs; refuses everything else."""

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = unquote(urlsplit(url).path)
            if not path.startswith(prefix):
                raise ValueError(f"not fetched for a PDF: {url}")
            file = (root / path[len(prefix):]).resolve()
            if root not in file.parents or not file.is_file():
                raise ValueError(f"no such static file: {path}")
            mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            return response(url, file.read_bytes(), {"Content-Type": mime})

    return StaticFetcher()


def render_pdf(html: str) -> bytes:
    """`html` (a page of this app) as PDF bytes."""
    weasyprint, fetcher_base, fetcher_response = _weasyprint()
    fetcher = _static_fetcher(fetcher_base, fetcher_response, current_app.static_folder,
                              current_app.static_url_path)
    return weasyprint.HTML(string=html, base_url=request.url_root,
                           url_fetcher=fetcher).write_pdf()


def document(template: str, *, as_pdf: bool, filename: str, **context):
    """A printable document: its HTML page, or (`as_pdf`) the same page as a PDF download named
    `filename`.pdf. The caller has checked access (R7) either way."""
    html = render_template(template, pdf=as_pdf, **context)
    if not as_pdf:
        return html
    body = render_pdf(html)
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_"
                         for c in filename[:80]) or "document"
    # RFC 6266: filename* keeps a Chinese document number as the download's name
    disposition = f"attachment; filename={ascii_name}.pdf; " \
        f"filename*=UTF-8''{quote(filename[:80] + '.pdf')}"
    return current_app.response_class(body, mimetype="application/pdf", headers={
        "Content-Disposition": disposition, "Cache-Control": "private, no-store"})

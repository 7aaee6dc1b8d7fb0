"""A stored file served to a reader (services/files.py): always as an attachment, with its type as read from its
content, never cached, never sniffed or rendered by the browser. Who may read it is asked by the page first."""
from io import BytesIO

from flask import request, send_file

from services import files, uploads


def download(stored):
    """The response that downloads `stored`."""
    response = send_file(BytesIO(files.read(stored)), mimetype=stored.content_type, as_attachment=True,
                         download_name=stored.name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def uploaded(name="file"):
    """The one file a form sent in `name`, as (file name, bytes) read within the upload limit; None when none was
    chosen (services/files.py checks its type and size)."""
    file = request.files.get(name)
    if file is None or not file.filename:
        return None
    return file.filename, uploads.read_upload(file, expected=None)

"""«Загрузить» of a big file as a background job (kind "import-apply", services/jobs/): a file of more than
`IMPORT_BACKGROUND_ROWS` rows (config, default 1000) is applied by a job instead of the request, all or nothing
as before (the job's one unit of work). The upload and its preview stay in services/imports/jobs.py; its lock
file still makes a double click apply it once; the page shows the job's progress and reloads when it ends.
A smaller file is applied in the request, as it always was."""
from flask import current_app

from services import imports
from services.errors import DomainError, PermissionDenied
from services.imports import core, jobs as uploads
from services.jobs import core as jobs
from services.jobs.registry import job_kind

KIND = "import-apply"
DEFAULT_ROWS = 1000


def in_background(job):
    """Whether this upload («job.json») is applied by a background job."""
    limit = current_app.config.get("IMPORT_BACKGROUND_ROWS", DEFAULT_ROWS)
    return limit is not None and int(job.get("rows") or 0) > int(limit)


def start(actor, upload_id, upload):
    """Enqueue the apply of the actor's claimed upload; its id is kept in the upload's record."""
    job_id = jobs.enqueue(actor, KIND, {"upload": upload_id, "kind": upload["kind"]},
                          title=f"Импорт: «{upload.get('filename') or upload['kind']}»")
    uploads.record(actor, upload_id, uploads.APPLYING, background=job_id)
    return job_id


@job_kind(KIND, title="Импорт данных из файла", retries=0, writes=True)
def _apply(ctx, actor, params):
    upload_id = params["upload"]
    upload = uploads.load(actor, upload_id)
    if upload is None:
        raise DomainError("Загруженный файл не найден: проверьте его на странице импорта снова.")
    if upload.get("state") == uploads.APPLIED:
        raise DomainError("Этот файл уже загружен.")
    if upload.get("state") != uploads.APPLYING and uploads.claim(actor, upload_id) is None:  # «Повторить»
        raise DomainError("Этот файл уже загружается: дождитесь окончания.")
    writer = uploads.progress_writer(upload_id)

    def progress(done, total):
        writer(done, total)
        ctx.progress(done, total, "строк загружено")

    try:
        preview = core.run(actor, imports.get(params["kind"]), uploads.data(actor, upload_id), apply=True,
                           progress=progress)
    except core.ImportRefused as exc:
        _refused(actor, upload_id, exc.preview, exc.message)
        raise DomainError(str(exc.message)) from None
    except PermissionDenied:
        uploads.record(actor, upload_id, uploads.CHECKED)
        uploads.release(upload_id)
        raise
    except DomainError as exc:
        _refused(actor, upload_id, None, str(exc))
        raise DomainError(f"Файл не загружен: {exc}") from None
    except Exception:
        uploads.record(actor, upload_id, uploads.CHECKED)
        uploads.release(upload_id)
        raise
    if not preview.applied:
        _refused(actor, upload_id, preview, "Файл не загружен: в нём есть строки с ошибками")
        raise DomainError("Файл не загружен, ни одна строка не импортирована: в нём есть строки с ошибками")
    uploads.record(actor, upload_id, uploads.APPLIED, preview)
    ctx.progress(preview.rows, preview.rows, preview.summary())
    return None


def _refused(actor, upload_id, preview, message):
    uploads.record(actor, upload_id, uploads.REFUSED, preview, message)
    uploads.release(upload_id)

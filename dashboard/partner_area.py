"""The partner upload workflow behind sign-in: validate (dry run) and record an upload.

Both steps refuse to run outside a partner session (:class:`dashboard.data.PartnerAccessRefused`).
Validation uses the one validator, :func:`smp_data.partner.validate_partner_csv`, with the store's
ward and district codes and every key already loaded (published files, uploads copied into the
store by the last build, and uploads recorded since in the uploads DB). Recording appends to the
uploads DB of record (``smp_data.uploads``), never to the read-only store. Accepted uploads and
refused files are written to the audit log (:mod:`smp_data.audit`).
"""

from __future__ import annotations

import streamlit as st

from smp_data import audit, settings, uploads
from smp_data import partner as partner_format
from smp_data.partner import UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, PartnerFileError, PartnerValidation

from dashboard.auth import Partner, client_info, current_partner
from dashboard.data import PartnerAccessRefused, connection

__all__ = ["validate_upload", "record_upload", "check_upload_size", "UPLOAD_MAX_BYTES", "UPLOAD_MAX_ROWS"]
_REFUSALS_LOGGED = "smp_partner_refusals_logged"


def _log_refusal_once(who: Partner, filename: str, size: int, reason: str) -> None:
    """A refused file is audited once per session (the page re-validates on every rerun)."""
    seen = st.session_state.setdefault(_REFUSALS_LOGGED, set())
    if (filename, size) not in seen:
        seen.add((filename, size))
        audit.record("upload_refused", who.username, file=filename, bytes=size, reason=reason, **client_info())


def check_upload_size(size: int, filename: str) -> None:
    """Refuse (PartnerFileError, audited) a file over :data:`UPLOAD_MAX_BYTES` before reading any of it."""
    who = _require_partner()
    if size > UPLOAD_MAX_BYTES:
        exc = PartnerFileError(
            f"{filename}: the file is {partner_format.size_text(size)}, larger than "
            f"{partner_format.size_text(UPLOAD_MAX_BYTES)}, the most one upload may hold (about "
            f"{UPLOAD_MAX_ROWS:,} rows); split it into smaller files")
        _log_refusal_once(who, filename, size, str(exc))
        raise exc


def _require_partner() -> Partner:
    who = current_partner()
    if who is None:
        raise PartnerAccessRefused("partner uploads need a signed-in partner session")
    return who


def validate_upload(content: bytes, filename: str) -> PartnerValidation:
    """Dry run: validate an uploaded CSV exactly as the build validates the published files.

    Raises :class:`smp_data.partner.PartnerFileError` for a file that is not in the long format, or
    larger than :data:`UPLOAD_MAX_BYTES` / :data:`UPLOAD_MAX_ROWS` (read as a stream: reading stops
    at the limit, so one upload cannot take the server's memory).
    """
    who = _require_partner()
    check_upload_size(len(content), filename)
    cursor = connection().cursor()
    try:
        wards, districts = partner_format.reference_codes(cursor)
        known = partner_format.existing_keys(cursor)
    finally:
        cursor.close()
    for key, where in uploads.upload_keys(settings.uploads_dir()).items():
        known.setdefault(key, where)
    try:
        return partner_format.validate_partner_csv(content, filename, wards, districts, existing_keys=known,
                                                   max_rows=UPLOAD_MAX_ROWS, max_bytes=UPLOAD_MAX_BYTES)
    except PartnerFileError as exc:
        _log_refusal_once(who, filename, len(content), str(exc))
        raise


def record_upload(validation: PartnerValidation, is_public: bool) -> uploads.UploadResult:
    """Append the accepted rows, recording who (the signed-in username) and when (UTC)."""
    who = _require_partner()
    result = uploads.record_upload(validation, who.username, bool(is_public), settings.uploads_dir())
    audit.record("upload", who.username, file=validation.source_name, sha256=validation.sha256,
                 rows_read=validation.rows_read, rows_loaded=result.rows, rows_rejected=validation.rows_rejected,
                 access="restricted" if result.is_restricted else "public", upload_id=result.upload_id,
                 **client_info())
    return result

"""The partner upload workflow behind sign-in: validate (dry run) and record an upload.

Both steps refuse to run outside a partner session (:class:`dashboard.data.PartnerAccessRefused`).
Validation uses the one validator, :func:`smp_data.partner.validate_partner_csv`, with the store's
ward and district codes and every key already loaded (published files, uploads copied into the
store by the last build, and uploads recorded since in the uploads DB). Recording appends to the
uploads DB of record (``smp_data.uploads``), never to the read-only store.
"""

from __future__ import annotations

from smp_data import partner as partner_format
from smp_data import settings, uploads
from smp_data.partner import PartnerValidation

from dashboard.auth import Partner, current_partner
from dashboard.data import PartnerAccessRefused, connection

__all__ = ["validate_upload", "record_upload"]


def _require_partner() -> Partner:
    who = current_partner()
    if who is None:
        raise PartnerAccessRefused("partner uploads need a signed-in partner session")
    return who


def validate_upload(content: bytes, filename: str) -> PartnerValidation:
    """Dry run: validate an uploaded CSV exactly as the build validates the published files.

    Raises :class:`smp_data.partner.PartnerFileError` for a file that is not in the long format.
    """
    _require_partner()
    cursor = connection().cursor()
    try:
        wards, districts = partner_format.reference_codes(cursor)
        known = partner_format.existing_keys(cursor)
    finally:
        cursor.close()
    for key, where in uploads.upload_keys(settings.uploads_dir()).items():
        known.setdefault(key, where)
    return partner_format.validate_partner_csv(content, filename, wards, districts, existing_keys=known)


def record_upload(validation: PartnerValidation, is_public: bool) -> uploads.UploadResult:
    """Append the accepted rows, recording who (the signed-in username) and when (UTC)."""
    who = _require_partner()
    return uploads.record_upload(validation, who.username, bool(is_public), settings.uploads_dir())

from typing import Self

from pydantic import Field, model_validator

from shared.settings import ServiceSettings

# Development only: refused when ENVIRONMENT is anything else (see the validator below).
DEVELOPMENT_CONTACT_KEY = "52_bOxa73H5WynhSZEHZBLHbEqXQb1lls_yxoSqmJ9U="

MIB = 1024 * 1024


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    port: int = 8001

    # Fernet keys that encrypt reporters' names and phones (举报人信息), comma-separated, newest first:
    # new contacts are encrypted with the first, every key still decrypts, and rotation re-encrypts with the first.
    contact_keys: str = Field(default=DEVELOPMENT_CONTACT_KEY, repr=False)

    # 重复举报: same township and domain, within this distance and this time of an open issue.
    duplicate_distance_m: float = Field(default=200.0, gt=0)
    duplicate_window_hours: float = Field(default=24.0 * 30, gt=0)

    # Anonymous public submissions per client address (limits' notation, e.g. "20/minute");
    # staff with a token are not limited.
    public_rate_limit: str = "20/minute"

    # Photos (现场照片) and uploads.
    max_photos: int = Field(default=6, ge=0)
    max_photo_bytes: int = Field(default=5 * MIB, gt=0)
    max_json_bytes: int = Field(default=1 * MIB, gt=0)
    max_batch_bytes: int = Field(default=5 * MIB, gt=0)
    max_batch_rows: int = Field(default=5000, gt=0)

    @property
    def max_form_bytes(self) -> int:
        """A whole report form: every photo at its limit, plus room for the text fields and multipart framing."""
        return self.max_photos * self.max_photo_bytes + MIB

    @model_validator(mode="after")
    def _no_development_contact_key_outside_development(self) -> Self:
        if self.environment != "development" and DEVELOPMENT_CONTACT_KEY in self.contact_keys.split(","):
            raise ValueError("CONTACT_KEYS must be set to the county's own keys when ENVIRONMENT is not development")
        return self

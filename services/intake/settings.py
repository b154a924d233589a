from cryptography.fernet import Fernet
from pydantic import Field, ValidationInfo, field_validator

from shared.body_limit import MIB
from shared.settings import ServiceSettings, required_secret

# Development only, and only when ENVIRONMENT=development is set explicitly: refused everywhere else.
DEVELOPMENT_CONTACT_KEY = "52_bOxa73H5WynhSZEHZBLHbEqXQb1lls_yxoSqmJ9U="


class IntakeSettings(ServiceSettings):
    service_name: str = "intake"
    port: int = 8001

    # Fernet keys that encrypt reporters' names and phones (举报人信息), comma-separated, newest first:
    # new contacts are encrypted with the first, every key still decrypts, and rotation re-encrypts with the first
    # (services/intake/rotate_keys.py). Required outside development; each must be a valid Fernet key.
    contact_keys: str = Field(default="", repr=False, validate_default=True)

    # 重复举报: same township and domain, within this distance and this time of an open issue.
    duplicate_distance_m: float = Field(default=200.0, gt=0)
    duplicate_window_hours: float = Field(default=24.0 * 30, gt=0)
    # Group commit (group_commit.py): reports written per transaction at most, and transactions written at once.
    report_batch_max: int = Field(default=64, ge=1, le=1000)
    report_writers: int = Field(default=1, ge=1, le=32)

    # Anonymous public submissions per client address (limits' notation, e.g. "20/minute");
    # staff with a token are not limited.
    public_rate_limit: str = "20/minute"

    # Photos (现场照片) and uploads.
    max_photos: int = Field(default=6, ge=0)
    max_photo_bytes: int = Field(default=5 * MIB, gt=0)
    max_json_bytes: int = Field(default=1 * MIB, gt=0)
    max_batch_bytes: int = Field(default=5 * MIB, gt=0)
    max_batch_rows: int = Field(default=5000, gt=0)
    # A batch .xlsx unpacked (every part of the archive together), and how long reading a table may take.
    max_batch_unpacked_bytes: int = Field(default=32 * MIB, gt=0)
    batch_read_seconds: float = Field(default=10.0, gt=0)

    @property
    def max_form_bytes(self) -> int:
        """A whole report form: every photo at its limit, plus room for the text fields and multipart framing."""
        return self.max_photos * self.max_photo_bytes + MIB

    @field_validator("contact_keys")
    @classmethod
    def _contact_keys_are_set_and_valid(cls, value: str, info: ValidationInfo) -> str:
        keys_text = required_secret("CONTACT_KEYS", value, info, development_value=DEVELOPMENT_CONTACT_KEY)
        keys = [key.strip() for key in keys_text.split(",")]
        for number, key in enumerate(keys, start=1):
            try:
                Fernet(key.encode())
            except ValueError:
                raise ValueError(
                    f"CONTACT_KEYS 的第 {number} 个密钥不是有效的 Fernet 密钥（32 字节、URL 安全的 Base64 编码）；"
                    "多个密钥以英文逗号分隔，最新的在前。"
                    f" CONTACT_KEYS key number {number} is not a valid Fernet key (32 bytes, URL-safe base64);"
                    " separate several keys with commas, newest first."
                ) from None
        return keys_text

"""Photos (照片) checked by their content and cleaned of what they say about the person: one place for every service.

Intake keeps a reporter's photos (services/intake/attachments.py), cases a unit's evidence
(services/cases/evidence.py); both come through here.

The type is read from the file's first bytes, not from the name or the declared type,
which the sender controls. A phone's photo carries EXIF data: where it was taken (GPS),
the device and often its owner's name; XMP and comments may carry more. Photos are served
to other roles, so each photo is decoded and encoded again from its pixels alone (Pillow;
HEIC through pillow-heif, stored as JPEG, which every browser shows), turned upright first
as its EXIF orientation said. Only the colour profile (ICC) and PNG transparency are kept.
What is stored, hashed and served is the cleaned photo; a file that does not decode as an
image is refused. Decoding is bounded (MAX_PIXELS) before any pixel is read. Blocking: run
it in a thread.
"""

import functools
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError


class PhotoRefused(ValueError):
    """422: not a photo we accept (the message is zh-CN and names the photo)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


ACCEPTED_LABEL = "JPEG、PNG、WebP、HEIC"
# Enough for a phone's photo; a few kilobytes of PNG can declare far more, and decoding it would take gigabytes.
MAX_PIXELS = 40_000_000
# The EXIF tag that says how the camera was held.
_ORIENTATION = 0x0112


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a JPEG, PNG, WebP or HEIC image, or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp", "webp"
    if content[4:8] == b"ftyp" and content[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "image/heic", "heic"
    return None


@functools.cache
def _heif_opener() -> None:
    """HEIC (iPhone photos) for Pillow: registered once, when the first photo is opened."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def without_metadata(content: bytes, content_type: str, name: str = "照片") -> tuple[bytes, str, str]:
    """The photo encoded again from its pixels, upright, with no EXIF, XMP or comment: (bytes, type, extension).

    `name` is how the refusal names the photo to a person (“第 2 张照片”).
    """
    _heif_opener()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise PhotoRefused(f"{name}超过 {MAX_PIXELS // 10_000} 万像素，请缩小后再上传")
                return _encoded(image, content_type)
    except PhotoRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise PhotoRefused(f"{name}无法识别为图片，仅支持 {ACCEPTED_LABEL} 格式") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise PhotoRefused(f"{name}已损坏，无法读取，请重新拍摄或导出后再上传") from exc


def _encoded(image: Image.Image, content_type: str) -> tuple[bytes, str, str]:
    transposed = image.getexif().get(_ORIENTATION, 1) not in (1, None)
    icc_profile = image.info.get("icc_profile")
    transparency = image.info.get("transparency")
    keep_quality = content_type == "image/jpeg" and not transposed and image.format == "JPEG"
    # Saving the opened JPEG itself keeps its quantisation tables ("keep"): encoding again loses next to nothing.
    clean = ImageOps.exif_transpose(image) if transposed else image if keep_quality else image.copy()
    clean.info = {}  # Pillow carries a JPEG's comment, and a PNG's profile, from here unless told otherwise
    out = io.BytesIO()
    extras: dict[str, object] = {"icc_profile": icc_profile} if icc_profile else {}
    if content_type == "image/png":
        if transparency is not None:
            extras["transparency"] = transparency
        clean.save(out, format="PNG", **extras)
        return out.getvalue(), "image/png", "png"
    if content_type == "image/webp":
        clean.save(out, format="WEBP", quality=90, **extras)
        return out.getvalue(), "image/webp", "webp"
    if clean.mode not in ("L", "RGB", "CMYK"):
        clean = clean.convert("RGB")
    if keep_quality:
        clean.save(out, format="JPEG", quality="keep", **extras)
    else:
        clean.save(out, format="JPEG", quality=90, **extras)
    return out.getvalue(), "image/jpeg", "jpg"

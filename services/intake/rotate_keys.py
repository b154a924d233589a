"""密钥轮换: re-wraps every report's data key with the newest service key (the contacts are not re-encrypted).

    python -m services.intake.rotate_keys --new-key          # prints a new random key
    CONTACT_KEYS="<new key>,<old key>" python -m services.intake.rotate_keys

Put the new key first in CONTACT_KEYS, restart the intake instances (new data keys are wrapped with it), then run
the rotation; afterwards CONTACT_KEYS="<new key>" is enough. A contact sealed before data keys existed is given one.
Keep the old key as long as a database backup sealed with it is kept, and no longer than the erasure window after
an erasure (依申请删除): destroying it is what makes an erased contact unrecoverable from older backups (README,
"Erasure and backups"). The service may keep running meanwhile: it reads with every configured key. Against
the local stack, CONTACT_KEYS comes from .run/secrets.env when the environment does not set it.
"""

import argparse
import asyncio
import sys

import asyncpg
from cryptography.fernet import Fernet
from pydantic import ValidationError

from services.intake.privacy import ContactVault, rotate_contacts
from services.intake.settings import IntakeSettings
from shared.settings import refusal
from shared.stack_keys import use_stack_keys


async def rotate(settings: IntakeSettings) -> int:
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        return await rotate_contacts(conn, ContactVault(settings.contact_keys))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m services.intake.rotate_keys", description="举报人信息密钥轮换")
    parser.add_argument("--new-key", action="store_true", help="print a new random key for CONTACT_KEYS and stop")
    args = parser.parse_args()
    if args.new_key:
        print(Fernet.generate_key().decode())
        return
    use_stack_keys()
    try:
        settings = IntakeSettings()
    except ValidationError as exc:
        sys.exit(f"无法轮换 / cannot rotate:\n{refusal(exc)}")
    count = asyncio.run(rotate(settings))
    print(f"re-wrapped the data keys of {count} reporter contacts with the newest key")


if __name__ == "__main__":
    main()

"""密钥轮换: re-encrypts every stored reporter contact with the newest key.

    CONTACT_KEYS="<new key>,<old key>" python -m services.intake.rotate_keys

Afterwards CONTACT_KEYS="<new key>" is enough and the old key can be destroyed. The
service may keep running meanwhile: it reads with every configured key.
"""

import asyncio

import asyncpg

from services.intake.privacy import ContactVault, rotate_contacts
from services.intake.settings import IntakeSettings


async def rotate(settings: IntakeSettings) -> int:
    conn = await asyncpg.connect(settings.database_dsn)
    try:
        return await rotate_contacts(conn, ContactVault(settings.contact_keys))
    finally:
        await conn.close()


def main() -> None:
    count = asyncio.run(rotate(IntakeSettings()))
    print(f"re-encrypted {count} reporter contacts with the newest key")


if __name__ == "__main__":
    main()

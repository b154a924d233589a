"""A relay alone in its own process, configured from the environment, for kill tests."""

import asyncio

from shared.relay import OutboxRelay
from shared.settings import ServiceSettings


async def main() -> None:
    await OutboxRelay(ServiceSettings(service_name="intake"), name="doomed").run()


if __name__ == "__main__":
    asyncio.run(main())

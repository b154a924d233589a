"""Ports for the processes a test starts, chosen below the kernel's ephemeral range.

A port `bind(("127.0.0.1", 0))` hands out comes from the ephemeral range (32768–60999 on Linux), the range every
outgoing connection (a Kafka or PostgreSQL client's) takes its own port from: between the choice and the service's
bind, another connection can take it ("Address already in use"), which failed services, brokers and the drill
under two test workers' load.
"""

import random
import socket

LOW, HIGH = 20_000, 32_000  # below the ephemeral range, above the stack's fixed ports (8000–9093, 18180)


def free_ports(count: int = 1, *, avoid: frozenset[int] = frozenset()) -> int:
    """The first of `count` consecutive ports nothing listens on now, none of them in `avoid`."""
    for _ in range(200):
        base = random.randrange(LOW, HIGH - count)
        if avoid & set(range(base, base + count)):
            continue
        held: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                held.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in held:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports between {LOW} and {HIGH}")


def free_port() -> int:
    return free_ports(1)

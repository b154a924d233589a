"""The local stack's keys (本机密钥): generated once per install into the state folder, never committed.

`make up` calls `ensure()`: the first time, `.run/secrets.env` (mode 600, in the ignored state folder) gets
a random `CONTACT_KEYS`, `METRICS_TOKEN`, `POSTGRES_PASSWORD`, Keycloak's bootstrap admin's
`KEYCLOAK_ADMIN_PASSWORD` (infra/keycloak.sh; no service ever gets it) and the broker's passwords
(`KAFKA_ADMIN_PASSWORD`, `KAFKA_CONTROLLER_PASSWORD`, one `KAFKA_PASSWORD_<USER>` per user of
shared/kafka_access.py: each service and the province); after that it is only read,
never rewritten, so two installs never share a key and a restart keeps the key that encrypted the stored
contacts (lose it and they are lost). A key missing from the file is added; one that is there is never replaced.

The services read their environment only. `python -m shared.stack_keys exec [--as USER] CMD…` runs a command
with the keys the services need in its environment, signed in to the broker as USER (`KAFKA_USERNAME` and
`KAFKA_PASSWORD`; infra/services.sh starts each service as itself) or, without `--as`, as the broker's admin
(operators' commands: creating topics, provisioning users, dead letters). The commands that talk to the local
stack (make token, bench, drill, demo, rotate_keys) call `use_stack_keys()`, which signs in as admin too.
In both, a variable already set in the environment wins over the file. An environment that names infra/kafka.sh's
broker by `KAFKA_PORT` or `KAFKA_NODES` (and sets no `KAFKA_BOOTSTRAP_SERVERS`) gets every node of it as the bootstrap
list (`local_kafka_bootstrap`): `KAFKA_NODES=3 make up`'s services know all three brokers.

This module uses the standard library only: infra/kafka.sh runs it before any virtualenv exists.

`POSTGRES_PASSWORD` is for docker-compose.yml (`docker compose --env-file .run/secrets.env up`); the local
PostgreSQL listens on 127.0.0.1 only and does not use it.
"""

import argparse
import base64
import fcntl
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path

STATE_DIR = Path(__file__).resolve().parents[1] / ".run"
FILE_NAME = "secrets.env"

# What each key is and how a new one is made.
GENERATORS: dict[str, Callable[[], str]] = {
    "CONTACT_KEYS": lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),  # one Fernet key
    "METRICS_TOKEN": lambda: secrets.token_urlsafe(32),  # what /metrics asks for outside development
    "POSTGRES_PASSWORD": lambda: secrets.token_urlsafe(24),  # URL-safe: it goes into DATABASE_URL
}
# The broker's users (SASL/SCRAM): its admin (operators, the broker itself), the controller's own sign-in (SASL/PLAIN
# on the controller listener), and one per service and the province, whose ACLs shared/kafka_access.py sets.
KAFKA_ADMIN = "admin"
KAFKA_USERS = ("intake", "cases", "enforcement", "accountability", "projections", "province")
GENERATORS |= {
    "KAFKA_ADMIN_PASSWORD": lambda: secrets.token_urlsafe(24),
    "KAFKA_CONTROLLER_PASSWORD": lambda: secrets.token_urlsafe(24),
} | {f"KAFKA_PASSWORD_{user.upper()}": (lambda: secrets.token_urlsafe(24)) for user in KAFKA_USERS}
# The identity provider's bootstrap admin (Keycloak's master realm, infra/keycloak.sh): operators and `make up`'s
# development users only, never a service.
GENERATORS["KEYCLOAK_ADMIN_PASSWORD"] = lambda: secrets.token_urlsafe(24)
# Each service with an event store signs its audit checkpoints with a key of its own (Ed25519: any 32 random bytes are
# a private key's seed; shared/audit/checkpoints.py), given to it alone as AUDIT_SIGNING_KEY.
AUDIT_SERVICES = ("intake", "cases", "enforcement", "accountability", "projections")
GENERATORS |= {
    f"AUDIT_SIGNING_KEY_{service.upper()}": (lambda: base64.b64encode(os.urandom(32)).decode())
    for service in AUDIT_SERVICES
}
# The keys the services read (the others are for docker-compose.yml), and those without which none starts.
# No token key: the services verify tokens with the identity provider's public keys (OIDC_ISSUER, shared/jwks.py).
SERVICE_KEYS = ("CONTACT_KEYS", "METRICS_TOKEN")
REQUIRED_KEYS = ("CONTACT_KEYS",)

HEADER = """\
# This install's keys, generated once by `make up` (shared/stack_keys.py). Never commit or copy them.
# CONTACT_KEYS decrypts the reporters' stored contacts: keep it with the database backups, or they are lost.
# Rotate CONTACT_KEYS with services/intake/rotate_keys.py (README: 安全与登录).
# AUDIT_SIGNING_KEY_<SERVICE> signs that service's audit checkpoints (README: Audit): its public key is published.
"""


def secrets_file(state_dir: Path | None = None) -> Path:
    """The file in `state_dir` (default: this checkout's `.run`)."""
    return (state_dir or STATE_DIR) / FILE_NAME


def read(state_dir: Path | None = None) -> dict[str, str]:
    """The keys in the state folder's file (none when there is no file)."""
    path = secrets_file(state_dir)
    if not path.exists():
        return {}
    keys: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.lstrip().startswith("#"):
            keys[name.strip()] = value.strip()
    return keys


def ensure(state_dir: Path | None = None) -> dict[str, str]:
    """This install's keys: those in the file, plus a new random one for each that is missing (written, mode 600).

    One at a time: the broker, Keycloak and parallel test workers may each ensure them on a fresh machine, and two
    that both found a key missing would each write their own."""
    path = secrets_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(f".{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        keys = read(state_dir)
        missing = {name: make() for name, make in GENERATORS.items() if not keys.get(name)}
        if missing:
            keys.update(missing)
            _write(path, keys)
        else:
            path.chmod(0o600)
        return keys


def _write(path: Path, keys: dict[str, str]) -> None:
    """Atomically, and readable by the owner only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(HEADER + "".join(f"{name}={value}\n" for name, value in keys.items()))
    os.replace(temporary, path)


def kafka_password(keys: dict[str, str], user: str) -> str:
    """The password of one of the broker's users in the install's keys ("" when the file has none)."""
    return keys.get("KAFKA_ADMIN_PASSWORD" if user == KAFKA_ADMIN else f"KAFKA_PASSWORD_{user.upper()}", "")


def service_environment(
    state_dir: Path | None = None, environ: dict[str, str] | None = None, *, kafka_user: str = KAFKA_ADMIN
) -> dict[str, str]:
    """`environ` (default: this process's environment) completed with the file's service keys it does not set,
    and the broker's sign-in as `kafka_user`."""
    env = dict(os.environ if environ is None else environ)
    keys = read(state_dir)
    for name, value in keys.items():
        if name in SERVICE_KEYS and not env.get(name):
            env[name] = value
    signing_key = keys.get(f"AUDIT_SIGNING_KEY_{kafka_user.upper()}")
    if kafka_user in AUDIT_SERVICES and signing_key and not env.get("AUDIT_SIGNING_KEY"):
        env["AUDIT_SIGNING_KEY"] = signing_key
    if not env.get("KAFKA_PASSWORD"):
        env["KAFKA_USERNAME"] = kafka_user
        env["KAFKA_PASSWORD"] = kafka_password(keys, kafka_user)
    if not env.get("KAFKA_BOOTSTRAP_SERVERS") and (env.get("KAFKA_PORT") or env.get("KAFKA_NODES")):
        env["KAFKA_BOOTSTRAP_SERVERS"] = local_kafka_bootstrap(env)
    if not env.get("TOPIC_REPLICAS") and int(env.get("KAFKA_NODES") or 1) > 1:
        # a local cluster's topics get a copy on each node (up to three), even when made while one is away
        env["TOPIC_REPLICAS"] = str(min(int(env["KAFKA_NODES"]), 3))
    return env


def local_kafka_bootstrap(environ: dict[str, str] | None = None) -> str:
    """The bootstrap list of infra/kafka.sh's broker, or of its cluster: node i (1..KAFKA_NODES) listens for clients
    on KAFKA_PORT + i - 1, every node in the list so a client starts with any one of them away."""
    env = os.environ if environ is None else environ
    port, nodes = int(env.get("KAFKA_PORT") or 9092), int(env.get("KAFKA_NODES") or 1)
    return ",".join(f"127.0.0.1:{port + i}" for i in range(nodes))


def use_stack_keys(state_dir: Path | None = None, *, create: bool = False) -> None:
    """For a command run against the local stack: its environment gets the stack's keys it does not set itself.

    With `create`, when the environment lacks one, the install's keys are generated first if it has none yet (a
    command that starts its own services, like the drill); otherwise a missing key stays missing and the settings
    say which.
    """
    if create and not all(os.environ.get(name) for name in REQUIRED_KEYS):
        ensure(state_dir)
    os.environ.update(service_environment(state_dir))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.stack_keys", description="本机密钥（.run/secrets.env）")
    parser.add_argument("--state-dir", type=Path, default=None, help="default: this checkout's .run")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("ensure", help="generate the keys this install does not have yet; never replaces one")
    run = commands.add_parser("exec", help="run a command with the services' keys in its environment")
    run.add_argument(
        "--as",
        dest="kafka_user",
        choices=(KAFKA_ADMIN, *KAFKA_USERS),
        default=KAFKA_ADMIN,
        help="the broker's user to sign in as (default: admin)",
    )
    run.add_argument("argv", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "ensure":
        before = read(args.state_dir)
        keys = ensure(args.state_dir)
        added = [name for name in keys if name not in before]
        path = secrets_file(args.state_dir)
        print(f"本机密钥 keys: {path} ({'generated ' + ', '.join(added) if added else 'unchanged'})", file=sys.stderr)
        return
    command = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not command:
        parser.error("exec needs a command")
    os.execvpe(command[0], command, service_environment(args.state_dir, kafka_user=args.kafka_user))


if __name__ == "__main__":
    main()

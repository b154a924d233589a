#!/usr/bin/env bash
# Entrypoint of the apache/kafka image for docker-compose.yml and the tests' testcontainers path: one KRaft
# node (broker and controller) that requires SASL/SCRAM sign-in and authorizes every request, the same
# set-up as infra/kafka.sh (both source infra/kafka/broker.sh). Formats its storage the first time, with the
# admin's SCRAM credential, then runs the broker in the foreground.
#
# Environment (the passwords have no default):
#   KAFKA_ADMIN_PASSWORD, KAFKA_CONTROLLER_PASSWORD
#   KAFKA_ADVERTISED_HOST (kafka)  the name clients reach the broker by
#   KAFKA_CLIENT_PORT (9092)       listened on and advertised (the same inside and outside the container)
#   KAFKA_CONTROLLER_PORT (9093)   the controller's listener, on 127.0.0.1 only
#   CLUSTER_ID                     the cluster's id, used when formatting
#   KAFKA_DATA (/var/lib/kafka/data), KAFKA_HEAP_OPTS
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/kafka/broker.sh
source "$HERE/broker.sh"

: "${KAFKA_ADMIN_PASSWORD:?KAFKA_ADMIN_PASSWORD 未设置 / is not set}"
: "${KAFKA_CONTROLLER_PASSWORD:?KAFKA_CONTROLLER_PASSWORD 未设置 / is not set}"
: "${CLUSTER_ID:?CLUSTER_ID 未设置 / is not set}"
HOST="${KAFKA_ADVERTISED_HOST:-kafka}"
PORT="${KAFKA_CLIENT_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA="${KAFKA_DATA:-/var/lib/kafka/data}"
CONFIG="${KAFKA_CONFIG_DIR:-/tmp/kafka-config}"
KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"

mkdir -p "$CONFIG" "$DATA"
umask 077
cat >"$CONFIG/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=CLIENT://0.0.0.0:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=CLIENT://$HOST:$PORT
$(sasl_properties "$KAFKA_ADMIN_PASSWORD" "$KAFKA_CONTROLLER_PASSWORD")
log.dirs=$DATA
$(single_node_properties)
PROPS
# For the healthcheck and an operator's tools inside the container (--command-config).
admin_client_properties "$KAFKA_ADMIN_PASSWORD" >"$CONFIG/admin.properties"

if [[ ! -f "$DATA/meta.properties" ]]; then
  "$KAFKA_HOME/bin/kafka-storage.sh" format -t "$CLUSTER_ID" -c "$CONFIG/server.properties" \
    --add-scram "$(admin_scram "$KAFKA_ADMIN_PASSWORD")"
fi
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG/server.properties"

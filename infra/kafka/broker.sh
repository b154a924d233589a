# What every broker of this project shares, in one place: sourced by infra/kafka.sh (the local stack and
# the drill) and infra/kafka/container.sh (docker-compose.yml, the tests' testcontainers path).
#
# Clients sign in with SASL/SCRAM-SHA-512 on the listener named CLIENT; the broker talks to itself there
# as `admin`, whose SCRAM credential is written when the storage is formatted (--add-scram). The controller
# listener takes SASL/PLAIN with the controller's own password (KRaft controllers cannot use SCRAM: its
# credentials live in the metadata they serve). Nothing is allowed without an ACL; admin and controller are
# super users; shared/kafka_access.py gives every other user its grants.

# min_insync REPLICAS: the in-sync replicas an acks=all write needs: 2 of 3 (one broker may be away), else 1
min_insync() {
  if [[ "$1" -ge 3 ]]; then echo 2; else echo 1; fi
}

# replica_properties REPLICAS: every topic's replicas (the topics', offsets', transactions', share groups')
replica_properties() {
  local isr
  isr="$(min_insync "$1")"
  cat <<PROPS
num.partitions=3
default.replication.factor=$1
min.insync.replicas=$isr
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
offsets.topic.replication.factor=$1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$1
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=10
share.coordinator.state.topic.replication.factor=$1
share.coordinator.state.topic.min.isr=$isr
PROPS
}

# single_node_properties: one node holds every replica
single_node_properties() {
  replica_properties 1
}

# sasl_properties ADMIN_PASSWORD CONTROLLER_PASSWORD: server.properties lines (the caller sets listeners)
sasl_properties() {
  local scram="org.apache.kafka.common.security.scram.ScramLoginModule"
  local plain="org.apache.kafka.common.security.plain.PlainLoginModule"
  cat <<PROPS
controller.listener.names=CONTROLLER
inter.broker.listener.name=CLIENT
listener.security.protocol.map=CONTROLLER:SASL_PLAINTEXT,CLIENT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=$scram required username="admin" password="$1";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=$plain required username="controller" password="$2" user_controller="$2";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:controller
PROPS
}

# admin_client_properties ADMIN_PASSWORD: a Kafka tool's --command-config, signed in as admin
admin_client_properties() {
  cat <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$1";
PROPS
}

# admin_scram ADMIN_PASSWORD: the StorageTool format argument that writes admin's credential
admin_scram() {
  printf 'SCRAM-SHA-512=[name=admin,password=%s]' "$1"
}

#!/bin/bash
# A Kafka node of docker-compose.yml: formats its storage on first start with every principal's SCRAM credential
# (so the node is never open, not even once), then runs the node. The files come from the init container
# (services/infra/compose.py); KAFKA_NODE_ID says which node this is.
set -euo pipefail

config="/kafka-config/node-${KAFKA_NODE_ID:?}.properties"
mapfile -t scram < /kafka-config/scram.args
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id="$(< /kafka-config/cluster.id)" \
    --config "$config" "${scram[@]}"
exec /opt/kafka/bin/kafka-server-start.sh "$config"

"""Partner intake: authenticate, validate, build canonical events and publish them durably to Kafka."""

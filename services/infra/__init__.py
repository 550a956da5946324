"""Local infrastructure the project provisions itself: Apache Kafka (KRaft) from Maven Central and Redis."""

"""The librdkafka producer's configuration, from the settings every Kafka client shares."""

from __future__ import annotations

from confluent_kafka import Producer

from adapters.kafka_event_log.producer import producer_config
from adapters.kafka_event_log.settings import KafkaSettings


def test_kafka_python_spellings_in_extra_reach_librdkafka_in_its_own() -> None:
    settings = KafkaSettings(
        "broker-1:9093, broker-2:9093",
        "game-events",
        "recorders",
        client_id="ingest-7",
        timeout_ms=4000,
        extra={
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": "PLAIN",
            "sasl_plain_username": "scoreline",
            "sasl_plain_password": "secret",
            "ssl_cafile": "/etc/kafka/ca.pem",
            "socket.keepalive.enable": True,  # librdkafka's own name: passed as it is
        },
    )
    config = producer_config(settings)
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanism"] == "PLAIN"
    assert (config["sasl.username"], config["sasl.password"]) == ("scoreline", "secret")
    assert config["ssl.ca.location"] == "/etc/kafka/ca.pem"
    assert config["socket.keepalive.enable"] is True
    assert not any("_" in key for key in config)  # nothing left in kafka-python's spelling
    assert config["client.id"] == "ingest-7"
    assert config["message.timeout.ms"] == config["request.timeout.ms"] == 4000
    assert (config["acks"], config["enable.idempotence"]) == ("all", True)


def test_librdkafka_accepts_the_configuration_it_is_given() -> None:
    """Every property is one librdkafka knows (it refuses an unknown one at once)."""
    settings = KafkaSettings("127.0.0.1:1", "game-events", "recorders", client_id="x")
    producer = Producer(producer_config(settings))  # connects lazily: nothing is up here
    producer.flush(0)

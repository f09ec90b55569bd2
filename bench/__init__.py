"""`python -m bench`: bus throughput (RabbitBus vs raw aio-pika) and end-to-end status latency, as ratios."""

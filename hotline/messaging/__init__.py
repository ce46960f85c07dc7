"""Messages to customers outside calls: the SMS outbox that sends through Kannel and stores
the delivery reports (R-091, R-092)."""

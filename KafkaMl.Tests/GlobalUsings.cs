// Namespaces that most specs import: the shared fixtures and helpers, and the Kafka client.
global using Confluent.Kafka;
global using KafkaMl.Tests.Support;

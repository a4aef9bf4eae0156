namespace KafkaMl.Core.Domain;

/// <summary>
/// A control message as received: which deployment it named, which topic ranges hold the data and
/// how to decode them. Kept even when the deployment is gone, so the data can be re-sent.
/// </summary>
public class Datasource
{
    public int Id { get; set; }

    /// <summary>The deployment the control message named (not a foreign key: the log outlives deployments).</summary>
    public int DeploymentId { get; set; }

    /// <summary>The control message's range list, <c>topic:partition:start:end</c> separated by commas (end exclusive).</summary>
    public string Topic { get; set; } = "";

    /// <summary><c>RAW</c>, <c>AVRO</c> or <c>JSON</c>.</summary>
    public string InputFormat { get; set; } = "";

    /// <summary>The format's configuration as a JSON object (snake_case keys, as sent).</summary>
    public string InputConfig { get; set; } = "{}";

    public string Description { get; set; } = "";

    public double ValidationRate { get; set; }

    public double TestRate { get; set; }

    public long TotalMsg { get; set; }

    /// <summary>When the control message was received (its Kafka timestamp).</summary>
    public DateTimeOffset Time { get; set; }

    /// <summary>
    /// Where the control message was read, <c>topic:partition:offset</c>; null for a row not logged from
    /// the control topic. With <see cref="Time"/> it identifies the message, so a redelivered one is not
    /// stored twice (the timestamp tells apart a message at the same offset of a recreated topic).
    /// </summary>
    public string? ControlPosition { get; set; }
}

namespace KafkaMl.Web.Hosting;

/// <summary>The <c>KafkaMl:ControlLogger</c> section.</summary>
public sealed class ControlLoggerOptions
{
    public const string Section = "KafkaMl:ControlLogger";

    public const string DefaultGroupId = "kafkaml-control-logger";

    /// <summary>The control logger's own consumer group (every portal replica shares it, so each message is logged once).</summary>
    public string GroupId { get; set; } = DefaultGroupId;
}

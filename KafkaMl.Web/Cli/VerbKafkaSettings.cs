using KafkaMl.Core.Streaming;

namespace KafkaMl.Web.Cli;

/// <summary>The librdkafka settings a verb's Kafka clients get, from the environment and from <c>-X key=value</c>.</summary>
internal static class VerbKafkaSettings
{
    /// <summary>
    /// The librdkafka settings of every verb: the cluster's security settings from the environment (the
    /// <c>KafkaMl__Kafka__...</c> variables the portal gives its jobs, see <see cref="KafkaSecurity"/>), then
    /// <c>-X key=value</c> (kcat's spelling), which win.
    /// </summary>
    public static Dictionary<string, string> From(CliOptions options, Func<string, string?>? environment = null)
    {
        var security = KafkaSecurity.FromEnvironment(environment ?? Environment.GetEnvironmentVariable);
        if (KafkaSecurity.Problems(security) is { Count: > 0 } problems)
            throw new CliUsageException($"the Kafka security settings in the environment cannot work: {string.Join(" ", problems)}");
        var settings = new Dictionary<string, string>(KafkaSecurity.ClientSettings(security), StringComparer.Ordinal);
        foreach (var item in options.All("-X"))
        {
            var equals = item.IndexOf('=');
            if (equals <= 0) throw new CliUsageException($"-X takes a librdkafka setting as key=value, not '{item}'.");
            settings[item[..equals].Trim()] = item[(equals + 1)..];
        }
        return settings;
    }
}

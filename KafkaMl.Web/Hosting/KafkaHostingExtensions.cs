using KafkaMl.Core;
using KafkaMl.Core.Broker;
using KafkaMl.Core.Streaming;
using Microsoft.Extensions.Options;

namespace KafkaMl.Web.Hosting;

public static class KafkaHostingExtensions
{
    /// <summary>
    /// Resolves the Kafka cluster: the configured bootstrap servers, or — when none are configured —
    /// the embedded broker, started here so that its address is known before anything else is built.
    /// A port in use surfaces as <see cref="BrokerStartException"/> with the port in its message. Security settings
    /// that cannot work (see <see cref="KafkaSecurity.Problems"/>) stop the start with <see cref="OptionsValidationException"/>
    /// naming each key; files they name are read here, once.
    /// </summary>
    public static IHostApplicationBuilder AddKafkaBroker(this IHostApplicationBuilder builder)
    {
        var kafka = builder.Configuration.GetKafkaMlOptions().Kafka;
        if (!kafka.UseEmbedded || KafkaSecurity.IsConfigured(kafka))
        {
            builder.Services.AddSingleton(new KafkaEndpoint(kafka.BootstrapServers?.Trim() ?? "", false, kafka.ControlTopic, ResolveSecurity(kafka), kafka.GroupProtocol?.Trim()));
            return builder;
        }

        var broker = EmbeddedBroker.Start(new EmbeddedBrokerSettings(kafka.EmbeddedPort, kafka.EmbeddedBindAddress));
        try
        {
            broker.CreateTopic(kafka.ControlTopic, partitions: 1);
        }
        catch
        {
            broker.Dispose();
            throw;
        }
        builder.Services.AddSingleton(broker); // disposed with the container
        builder.Services.AddSingleton(new KafkaEndpoint(broker.BootstrapServers, true, kafka.ControlTopic, GroupProtocol: kafka.GroupProtocol?.Trim()));
        return builder;
    }

    private static KafkaSecurityOptions? ResolveSecurity(KafkaOptions kafka)
    {
        var problems = KafkaSecurity.Problems(kafka, kafka.UseEmbedded);
        if (problems.Count > 0) throw new OptionsValidationException(KafkaMlOptions.Section, typeof(KafkaMlOptions), problems);
        if (!KafkaSecurity.IsConfigured(kafka)) return null;
        try
        {
            return KafkaSecurity.Resolve(kafka);
        }
        catch (KafkaSecurityException e)
        {
            throw new OptionsValidationException(KafkaMlOptions.Section, typeof(KafkaMlOptions), [e.Message]);
        }
    }

    /// <summary>Logs where the portal and the broker can be reached once the server listens.</summary>
    public static WebApplication AnnounceAddresses(this WebApplication app)
    {
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var endpoint = app.Services.GetRequiredService<KafkaEndpoint>();
            var options = app.Services.GetRequiredService<IOptions<KafkaMlOptions>>().Value;
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("KafkaMl");
            logger.LogInformation(
                "Kafka bootstrap servers: {BootstrapServers} ({Kind}); control topic {ControlTopic}; security {Security}",
                endpoint.BootstrapServers, endpoint.Embedded ? "embedded broker" : "external cluster", endpoint.ControlTopic,
                KafkaSecurity.Describe(endpoint.Security ?? new KafkaSecurityOptions()));
            logger.LogInformation("Data directory: {DataDir}", options.DataDirFullPath);
            foreach (var url in app.Urls)
                logger.LogInformation("KafkaMl portal listening on {Url}", url);
        });
        return app;
    }
}

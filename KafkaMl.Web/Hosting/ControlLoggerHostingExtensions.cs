using Microsoft.Extensions.DependencyInjection.Extensions;

namespace KafkaMl.Web.Hosting;

public static class ControlLoggerHostingExtensions
{
    /// <summary>
    /// The control logger (a hosted service storing every control message as a datasource), its counters,
    /// and the process's shared Kafka producer. Needs the Kafka endpoint and the database registered.
    /// </summary>
    public static IHostApplicationBuilder AddControlLogger(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ControlLoggerOptions>()
            .BindConfiguration(ControlLoggerOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.GroupId), $"{ControlLoggerOptions.Section}:GroupId must not be empty.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<KafkaProducerHandle>();
        builder.Services.AddSingleton<ControlLoggerStats>();
        builder.Services.AddSingleton<ControlMessageRecorder>();
        builder.Services.AddHostedService<ControlLoggerService>();
        return builder;
    }
}

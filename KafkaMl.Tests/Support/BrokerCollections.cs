namespace KafkaMl.Tests.Support;

// One broker fixture type, several collections over it: specs in one collection run one after another, collections
// run in parallel. The training and inference collections run alone: they seed TorchSharp and set its thread count
// (process-wide) and draw from its global generator, and inference starts replica processes that want the CPU.

[CollectionDefinition(Name)]
public sealed class EmbeddedBrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "Embedded broker, in-process";
}

[CollectionDefinition(Name)]
public sealed class SinkBrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "Sinks against the embedded broker";
}

/// <summary>The CLI verbs run as child processes against an in-process embedded broker.</summary>
[CollectionDefinition(Name)]
public sealed class CliBrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "CLI verbs against an embedded broker";
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingJobCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "Training jobs against the embedded broker";
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InferenceBrokerCollection : ICollectionFixture<BrokerFixture>
{
    public const string Name = "Inference against the embedded broker";
}

/// <summary>One <c>KafkaMl.Web broker</c> child process.</summary>
[CollectionDefinition(Name)]
public sealed class BrokerProcessCollection : ICollectionFixture<BrokerProcessFixture>
{
    public const string Name = "Embedded broker, separate process";
}
